package io.polyarch.build;

import io.polyarch.oci.Digest;

import java.nio.file.Path;

/**
 * A built image in an OCI image layout directory, tagged {@link #TAG} there.
 *
 * @param manifest the image manifest's digest in the layout
 * @param engineMs how long the engine's build command ran (the rest of a build is export)
 * @param imageId  the image in the engine's own store ({@code sha256:...}), for running tests in it
 */
public record BuildOutput(Path layout, Digest manifest, long engineMs, String imageId) {
    public static final String TAG = "image";
}
