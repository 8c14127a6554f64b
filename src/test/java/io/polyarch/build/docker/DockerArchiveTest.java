package io.polyarch.build.docker;

import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.BlobUpload;
import io.polyarch.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DockerArchiveTest {
    /** A layer tar of a few MiB, with one file of random bytes. */
    static byte[] layer(long seed) {
        byte[] data = new byte[(int) (1.5 * 1024 * 1024)];
        new Random(seed).nextBytes(data);
        return new TarBuilder().file("data-" + seed, data, 0644).tar();
    }

    /** A classic `docker save` archive: the base layer's dir sorts first here, the top layer's json names the config. */
    static byte[] archive(byte[] base, byte[] top) {
        String cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(base) + "\",\"" + Digest.sha256(top) + "\"]}}";
        String manifest = "[{\"Config\":\"cfg.json\",\"RepoTags\":null,\"Layers\":[\"aaa/layer.tar\",\"bbb/layer.tar\"]}]";
        return new TarBuilder()
                .file("aaa/json", "{\"id\":\"aaa\",\"created\":\"1970-01-01T00:00:00Z\",\"container_config\":{}}".getBytes(StandardCharsets.UTF_8), 0644)
                .file("aaa/layer.tar", base, 0644)
                .file("bbb/json", "{\"id\":\"bbb\",\"parent\":\"aaa\",\"container_config\":{},\"config\":{\"Cmd\":[\"sh\"]}}".getBytes(StandardCharsets.UTF_8), 0644)
                .file("bbb/layer.tar", top, 0644)
                .file("cfg.json", cfg.getBytes(StandardCharsets.UTF_8), 0644)
                .file("manifest.json", manifest.getBytes(StandardCharsets.UTF_8), 0644)
                .tar();
    }

    /** Records what a registry would receive. */
    static final class Recording implements BlobUpload {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Descriptor> committed = new ArrayList<>();
        final String answer;

        Recording(String answer) {
            this.answer = answer;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        @Override
        public String commit(Descriptor d) {
            committed.add(d);
            return answer;
        }

        @Override
        public void abort() {
            throw new AssertionError("not aborted");
        }
    }

    @Test
    void streamsOnlyTheTopLayerAndExactlyTheBlobItStores(@TempDir Path dir) throws Exception {
        byte[] base = layer(1);
        byte[] top = layer(2);
        List<Recording> opened = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("layout"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive(base, top)), out, true, () -> {
                Recording r = new Recording(null);
                opened.add(r);
                return Optional.of(r);
            }, notes::add);
            ImageManifest im = (ImageManifest) OciJson.parseManifest(m.mediaType(), m.bytes());
            assertEquals(2, im.layers().size());
            assertEquals(1, opened.size(), "one upload: the top layer's; the base layer is left to the push");
            Descriptor topBlob = im.layers().get(1);
            assertEquals(List.of(topBlob), opened.get(0).committed, "committed under the digest the layout stores it by");
            try (InputStream in = out.openBlob(topBlob)) {
                assertArrayEquals(in.readAllBytes(), opened.get(0).bytes.toByteArray(), "the registry got the stored blob's bytes");
            }
            assertTrue(notes.get(0).contains("sent layer " + topBlob.digest().shortHex()), notes.toString());
        }
    }

    @Test
    void aFailedStreamIsANoteNotAFailure(@TempDir Path dir) throws Exception {
        List<String> notes = new ArrayList<>();
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("layout"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive(layer(3), layer(4))), out, false,
                    () -> Optional.of(new Recording("the registry answered 500")), notes::add);
            ImageManifest im = (ImageManifest) OciJson.parseManifest(m.mediaType(), m.bytes());
            assertTrue(out.statBlob(im.layers().get(1).digest()).isPresent(), "the layout has the layer for the push");
            assertTrue(notes.get(0).contains("the registry answered 500") && notes.get(0).contains("the push sends it"), notes.toString());
        }
    }
}
