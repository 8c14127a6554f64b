package io.polyarch.build;

import io.polyarch.oci.Digest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A Dockerfile rewritten for one build (its FROM lines pinned to digests), written under a name taken from its
 * content, {@code Dockerfile.<12 hex>}, with the original's {@code .dockerignore} beside it.
 *
 * <p>Why the name: Docker 20.10's client keys the engine's copy of the Dockerfile's folder by the build context
 * alone, and sends a file again only when its size or mtime changed. Two platforms' pinned Dockerfiles differ only
 * in a digest (the same size) and are written within one tick of the kernel's file clock (the same mtime): under one
 * name, the second build got the first's Dockerfile and built on the other platform's base. Files of different
 * content never share a name.
 */
public final class PinnedDockerfile {
    private PinnedDockerfile() {
    }

    /** Writes {@code content} into {@code dir} and returns its path; {@code ignore} is copied beside it if it exists. */
    public static Path write(Path dir, String content, Path ignore) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String name = "Dockerfile." + Digest.sha256(bytes).shortHex();
        Path dockerfile = dir.resolve(name);
        Files.write(dockerfile, bytes);
        if (ignore != null && Files.isRegularFile(ignore)) {
            Files.copy(ignore, dir.resolve(name + ".dockerignore"), StandardCopyOption.REPLACE_EXISTING);
        }
        return dockerfile;
    }
}
