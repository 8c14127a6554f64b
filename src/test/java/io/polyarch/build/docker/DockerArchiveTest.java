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

    /** A classic archive of any number of layers, bottom first; dirs sort in layer order and the top one's json names the config. */
    static byte[] archive(List<byte[]> layers) {
        StringBuilder diffIds = new StringBuilder();
        StringBuilder names = new StringBuilder();
        TarBuilder t = new TarBuilder();
        for (int i = 0; i < layers.size(); i++) {
            String dir = "l" + i;
            boolean top = i == layers.size() - 1;
            t.file(dir + "/json", ("{\"id\":\"" + dir + "\"" + (top ? ",\"config\":{}" : "") + "}").getBytes(StandardCharsets.UTF_8), 0644);
            t.file(dir + "/layer.tar", layers.get(i), 0644);
            diffIds.append(i == 0 ? "" : ",").append('"').append(Digest.sha256(layers.get(i))).append('"');
            names.append(i == 0 ? "" : ",").append('"').append(dir).append("/layer.tar\"");
        }
        String cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}";
        return t.file("cfg.json", cfg.getBytes(StandardCharsets.UTF_8), 0644)
                .file("manifest.json", ("[{\"Config\":\"cfg.json\",\"RepoTags\":null,\"Layers\":[" + names + "]}]").getBytes(StandardCharsets.UTF_8), 0644)
                .tar();
    }

    /** Every file left in a layout directory, hidden ones (temporary and spool files) included. */
    static List<String> files(Path dir) throws java.io.IOException {
        try (var w = java.nio.file.Files.walk(dir)) {
            return w.filter(java.nio.file.Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void baseLayersAreNamedByTheBaseImagesBlobsNotCompressedAgain(@TempDir Path dir) throws Exception {
        byte[] big = layer(5);                                             // streamed past the memory limit: spooled
        byte[] small = new TarBuilder().file("etc/os", "base".getBytes(StandardCharsets.UTF_8), 0644).tar(); // kept in memory
        byte[] own = layer(6);                                             // a RUN step's layer the base does not have
        byte[] top = layer(7);
        // the base's blobs as its (Docker-typed) manifest lists them; their bytes are not here, only their digests
        Descriptor bigBlob = Descriptor.of(io.polyarch.oci.MediaType.DOCKER_LAYER_GZIP, Digest.sha256("gz-big".getBytes()), 1000);
        Descriptor smallBlob = Descriptor.of(io.polyarch.oci.MediaType.DOCKER_LAYER_GZIP, Digest.sha256("gz-small".getBytes()), 100);
        java.util.Map<Digest, Descriptor> known = java.util.Map.of(Digest.sha256(big), bigBlob, Digest.sha256(small), smallBlob);
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("layout"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive(List.of(big, small, own, top))), out, true,
                    Optional::empty, () -> known, note -> {
                    });
            ImageManifest im = (ImageManifest) OciJson.parseManifest(m.mediaType(), m.bytes());
            assertEquals(List.of(bigBlob.withMediaType(io.polyarch.oci.MediaType.OCI_LAYER_GZIP), smallBlob.withMediaType(io.polyarch.oci.MediaType.OCI_LAYER_GZIP)),
                    im.layers().subList(0, 2), "the base's blobs, under this manifest's media type");
            assertTrue(out.statBlob(bigBlob.digest()).isEmpty() && out.statBlob(smallBlob.digest()).isEmpty(), "not stored here: the push takes them from the base");
            for (int i : new int[]{2, 3}) {
                Descriptor d = im.layers().get(i);
                try (InputStream in = new java.util.zip.GZIPInputStream(out.openBlob(d))) {
                    assertArrayEquals(i == 2 ? own : top, in.readAllBytes(), "layer " + i + " is stored, compressed");
                }
            }
            // the layout holds exactly the image: config, the two layers made here, the manifest; no spool left behind
            List<String> blobs = new ArrayList<>();
            blobs.add("blobs/sha256/" + im.config().digest().hex());
            for (Descriptor d : im.layers().subList(2, 4)) blobs.add("blobs/sha256/" + d.digest().hex());
            blobs.add("blobs/sha256/" + m.digest().hex());
            List<String> expected = new ArrayList<>(blobs.stream().sorted().toList());
            List<String> got = files(dir.resolve("layout")).stream().filter(f -> f.startsWith("blobs/") || f.contains(".spool")).toList();
            assertEquals(expected, got);
        }
    }

    @Test
    void withABaseThatHasNoneOfItsLayersTheImportIsByteForByteTheSame(@TempDir Path dir) throws Exception {
        byte[] archive = archive(List.of(layer(8), layer(9)));
        Descriptor unrelated = Descriptor.of(io.polyarch.oci.MediaType.DOCKER_LAYER_GZIP, Digest.sha256("other".getBytes()), 10);
        RawManifest plain;
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("a"), true)) {
            plain = DockerArchive.importTo(new ByteArrayInputStream(archive), out, false);
        }
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("b"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive), out, false, Optional::empty,
                    () -> java.util.Map.of(Digest.sha256("x".getBytes()), unrelated), note -> {
                    });
            assertEquals(plain.digest(), m.digest(), "the same manifest, so the same layer blobs");
        }
        assertEquals(files(dir.resolve("a")), files(dir.resolve("b")), "and the same files: no spool left behind");
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
            }, java.util.Map::of, notes::add);
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
                    () -> Optional.of(new Recording("the registry answered 500")), java.util.Map::of, notes::add);
            ImageManifest im = (ImageManifest) OciJson.parseManifest(m.mediaType(), m.bytes());
            assertTrue(out.statBlob(im.layers().get(1).digest()).isPresent(), "the layout has the layer for the push");
            assertTrue(notes.get(0).contains("the registry answered 500") && notes.get(0).contains("the push sends it"), notes.toString());
        }
    }

    static byte[] gzip(byte[] b) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    /**
     * The OCI archive `docker save` writes on the containerd image store: blobs under their digests, layers gzip
     * already, manifest.json naming them (seen with Docker 26.1.5; the image's index and an attestation manifest too).
     */
    static byte[] ociArchive(List<byte[]> gzLayers, List<Digest> diffIds) {
        TarBuilder t = new TarBuilder();
        StringBuilder names = new StringBuilder();
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < gzLayers.size(); i++) {
            Digest d = Digest.sha256(gzLayers.get(i));
            t.file("blobs/sha256/" + d.hex(), gzLayers.get(i), 0444);
            names.append(i == 0 ? "" : ",").append("\"blobs/sha256/").append(d.hex()).append('"');
            ids.append(i == 0 ? "" : ",").append('"').append(diffIds.get(i)).append('"');
        }
        byte[] cfg = ("{\"architecture\":\"arm64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + ids + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        Digest c = Digest.sha256(cfg);
        return t.file("blobs/sha256/" + c.hex(), cfg, 0444)
                .file("index.json", "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8), 0644)
                .file("manifest.json", ("[{\"Config\":\"blobs/sha256/" + c.hex() + "\",\"RepoTags\":null,\"Layers\":[" + names + "]}]")
                        .getBytes(StandardCharsets.UTF_8), 0644)
                .file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8), 0444)
                .tar();
    }

    @Test
    void theContainerdStoresArchiveKeepsItsCompressedLayersAsTheyAre(@TempDir Path dir) throws Exception {
        byte[] big = layer(7);
        byte[] small = new TarBuilder().file("etc/hello", "hi".getBytes(StandardCharsets.UTF_8), 0644).tar();
        byte[] bigGz = gzip(big);
        byte[] smallGz = gzip(small);
        byte[] archive = ociArchive(List.of(bigGz, smallGz), List.of(Digest.sha256(big), Digest.sha256(small)));
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive), out, true);
            ImageManifest im = (ImageManifest) m.parse();
            assertEquals(List.of(Digest.sha256(bigGz), Digest.sha256(smallGz)), im.layers().stream().map(Descriptor::digest).toList(),
                    "the layers are the archive's own blobs, not compressed again");
            try (InputStream in = out.openBlob(im.layers().get(0))) {
                assertArrayEquals(bigGz, in.readAllBytes());
            }
            assertEquals("arm64", OciJson.parseConfig(out.openBlob(im.config()).readAllBytes()).platform().architecture());
        }
    }

    @Test
    void aCompressedLayerWhoseContentIsNotTheConfigsDiffIdIsRefused(@TempDir Path dir) throws Exception {
        byte[] l = layer(8);
        byte[] archive = ociArchive(List.of(gzip(l)), List.of(Digest.sha256(layer(9))));
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.polyarch.build.BuildException.class,
                    () -> DockerArchive.importTo(new ByteArrayInputStream(archive), out, true));
            assertTrue(e.getMessage().contains("layer 0 of the saved image has digest " + Digest.sha256(l)), e.getMessage());
        }
    }

    @Test
    void aBlobOfTheBaseImageIsNamedNotStored(@TempDir Path dir) throws Exception {
        byte[] base = layer(10);
        byte[] baseGz = gzip(base);
        byte[] top = layer(11);
        byte[] archive = ociArchive(List.of(baseGz, gzip(top)), List.of(Digest.sha256(base), Digest.sha256(top)));
        Descriptor baseBlob = Descriptor.of(io.polyarch.oci.MediaType.DOCKER_LAYER_GZIP, Digest.sha256(baseGz), baseGz.length);
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            RawManifest m = DockerArchive.importTo(new ByteArrayInputStream(archive), out, false, Optional::empty,
                    () -> java.util.Map.of(Digest.sha256(base), baseBlob), note -> {
                    });
            ImageManifest im = (ImageManifest) m.parse();
            assertEquals(baseBlob.digest(), im.layers().get(0).digest());
            assertTrue(out.statBlob(baseBlob.digest()).isEmpty(), "the base's blob is left to the push to mount");
            assertTrue(out.statBlob(im.layers().get(1).digest()).isPresent());
        }
    }

    /**
     * What BuildKit's OCI exporter writes with {@code compression=uncompressed} (seen with buildx 0.13.1): every blob
     * under its digest, layers as plain tars (so named by their diff_ids), the index naming the image and an
     * attestation manifest; {@code topName} is the name the top layer's bytes are stored under.
     */
    static byte[] buildKitArchive(byte[] base, byte[] top, Digest topName) {
        byte[] cfg = ("{\"architecture\":\"arm64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(base) + "\",\"" + Digest.sha256(top) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.sha256(cfg) + "\",\"size\":" + cfg.length + "},\"layers\":["
                + "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Digest.sha256(base) + "\",\"size\":" + base.length + "},"
                + "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + Digest.sha256(top) + "\",\"size\":" + top.length + "}]}";
        byte[] mb = manifest.getBytes(StandardCharsets.UTF_8);
        byte[] attestation = "{\"schemaVersion\":2,\"layers\":[]}".getBytes(StandardCharsets.UTF_8);
        String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
                + Digest.sha256(mb) + "\",\"size\":" + mb.length + ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + Digest.sha256(attestation) + "\",\"size\":"
                + attestation.length + ",\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
                + "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}]}";
        return new TarBuilder()
                .file("blobs/sha256/" + Digest.sha256(base).hex(), base, 0444)
                .file("blobs/sha256/" + topName.hex(), top, 0444)
                .file("blobs/sha256/" + Digest.sha256(cfg).hex(), cfg, 0444)
                .file("blobs/sha256/" + Digest.sha256(mb).hex(), mb, 0444)
                .file("blobs/sha256/" + Digest.sha256(attestation).hex(), attestation, 0444)
                .file("index.json", index.getBytes(StandardCharsets.UTF_8), 0644)
                .file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8), 0444)
                .tar();
    }

    @Test
    void buildKitsOciExportIsReadThroughItsIndexAndItsAttestationsAreSkipped(@TempDir Path dir) throws Exception {
        byte[] base = layer(12);
        byte[] top = new TarBuilder().file("app/hello", "hi".getBytes(StandardCharsets.UTF_8), 0644).tar();
        byte[] archive = buildKitArchive(base, top, Digest.sha256(top));
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            ImageManifest im = (ImageManifest) DockerArchive.importTo(new ByteArrayInputStream(archive), out, true).parse();
            assertEquals(2, im.layers().size());
            assertEquals(io.polyarch.oci.MediaType.OCI_LAYER_GZIP, im.layers().get(0).mediaType(), "uncompressed layers are compressed here");
            try (InputStream in = new java.util.zip.GZIPInputStream(out.openBlob(im.layers().get(0)))) {
                assertArrayEquals(base, in.readAllBytes());
            }
            assertEquals("arm64", OciJson.parseConfig(out.openBlob(im.config()).readAllBytes()).platform().architecture());
        }
    }

    @Test
    void buildKitsUncompressedLayerTheBaseLacksStreamsToTheRegistryAsItComes(@TempDir Path dir) throws Exception {
        byte[] base = layer(13);
        byte[] baseGz = gzip(base);
        byte[] top = layer(14);
        Descriptor baseBlob = Descriptor.of(io.polyarch.oci.MediaType.OCI_LAYER_GZIP, Digest.sha256(baseGz), baseGz.length);
        List<Recording> opened = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            ImageManifest im = (ImageManifest) DockerArchive.importTo(new ByteArrayInputStream(buildKitArchive(base, top, Digest.sha256(top))), out, true,
                    () -> {
                        Recording r = new Recording(null);
                        opened.add(r);
                        return Optional.of(r);
                    }, () -> java.util.Map.of(Digest.sha256(base), baseBlob), notes::add).parse();
            assertEquals(baseBlob.digest(), im.layers().get(0).digest(), "the base's layer is the base's blob");
            assertTrue(out.statBlob(baseBlob.digest()).isEmpty(), "and is left to the push to mount");
            assertEquals(1, opened.size(), "one upload: the layer the build made");
            Descriptor topBlob = im.layers().get(1);
            assertEquals(List.of(topBlob), opened.get(0).committed);
            try (InputStream in = out.openBlob(topBlob)) {
                assertArrayEquals(in.readAllBytes(), opened.get(0).bytes.toByteArray(), "the registry got the stored blob's bytes");
            }
            try (InputStream in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(opened.get(0).bytes.toByteArray()))) {
                assertArrayEquals(top, in.readAllBytes());
            }
            assertTrue(notes.get(0).contains("sent layer " + topBlob.digest().shortHex()), notes.toString());
            assertEquals(List.of(), files(dir.resolve("out")).stream().filter(f -> f.contains(".spool")).toList(), "nothing spooled");
        }
    }

    @Test
    void anUncompressedBlobWhoseBytesAreNotItsNameIsRefused(@TempDir Path dir) throws Exception {
        byte[] base = layer(15);
        byte[] top = layer(16);
        byte[] archive = buildKitArchive(base, top, Digest.sha256(layer(17)));
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> DockerArchive.importTo(new ByteArrayInputStream(archive), out, true));
            assertTrue(e.getMessage().contains("has digest " + Digest.sha256(top)) && e.getMessage().contains("corrupt"), e.getMessage());
        }
    }

    /** The files of an archive written out as the directory BuildKit's exporter makes with {@code tar=false}. */
    static Path extract(byte[] archive, Path dir) throws java.io.IOException {
        TarReader t = new TarReader(new ByteArrayInputStream(archive));
        TarReader.Entry e;
        while ((e = t.next()) != null) {
            if (!e.isFile()) continue;
            Path f = dir.resolve(e.name());
            java.nio.file.Files.createDirectories(f.getParent());
            java.nio.file.Files.write(f, t.content().readAllBytes());
        }
        return dir;
    }

    @Test
    void buildKitsLayoutDirectoryGivesTheImageTheStreamedArchiveGives(@TempDir Path dir) throws Exception {
        byte[] base = layer(18);
        byte[] baseGz = gzip(base);
        byte[] top = layer(19);
        byte[] archive = buildKitArchive(base, top, Digest.sha256(top));
        Descriptor baseBlob = Descriptor.of(io.polyarch.oci.MediaType.OCI_LAYER_GZIP, Digest.sha256(baseGz), baseGz.length);
        List<Recording> opened = new ArrayList<>();
        try (OciLayoutStore a = OciLayoutStore.open(dir.resolve("a"), true); OciLayoutStore b = OciLayoutStore.open(dir.resolve("b"), true)) {
            RawManifest fromTar = DockerArchive.importTo(new ByteArrayInputStream(archive), a, true, Optional::empty,
                    () -> java.util.Map.of(Digest.sha256(base), baseBlob), note -> {
                    });
            RawManifest fromDir = DockerArchive.importLayout(extract(archive, dir.resolve("exported")), b, true, () -> {
                Recording r = new Recording(null);
                opened.add(r);
                return Optional.of(r);
            }, () -> java.util.Map.of(Digest.sha256(base), baseBlob), note -> {
            });
            assertArrayEquals(fromTar.bytes(), fromDir.bytes(), "the same manifest, byte for byte");
            ImageManifest im = (ImageManifest) fromDir.parse();
            assertEquals(baseBlob.digest(), im.layers().get(0).digest());
            assertEquals(1, opened.size(), "the layer the build made went to the registry as it was compressed");
            assertEquals(List.of(im.layers().get(1)), opened.get(0).committed);
        }
    }

    @Test
    void aLinkInTheLayoutDirectoryIsRefused(@TempDir Path dir) throws Exception {
        byte[] top = layer(20);
        Path exported = extract(buildKitArchive(layer(21), top, Digest.sha256(top)), dir.resolve("exported"));
        Path blob = exported.resolve("blobs/sha256/" + Digest.sha256(top).hex());
        java.nio.file.Files.delete(blob);
        java.nio.file.Files.createSymbolicLink(blob, Path.of("/etc/passwd"));
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.polyarch.build.BuildException.class,
                    () -> DockerArchive.importLayout(exported, out, true, Optional::empty, java.util.Map::of, note -> {
                    }));
            assertTrue(e.getMessage().contains("blobs/sha256/" + Digest.sha256(top).hex()) && e.getMessage().contains("not a regular file"), e.getMessage());
        }
    }

    @Test
    void anArchiveOfManySmallEntriesIsRefusedBeforeItFillsTheMemory(@TempDir Path dir) throws Exception {
        TarBuilder t = new TarBuilder();
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i <= DockerArchive.SMALL_TOTAL / mib.length; i++) t.file("junk/" + i, mib, 0644);
        byte[] archive = t.tar();
        try (OciLayoutStore out = OciLayoutStore.open(dir.resolve("out"), true)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.polyarch.build.BuildException.class,
                    () -> DockerArchive.importTo(new ByteArrayInputStream(archive), out, true));
            assertTrue(e.getMessage().contains("small entries") && e.getMessage().contains("refused"), e.getMessage());
        }
    }
}
