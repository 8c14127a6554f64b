package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.soci.SociIndexer;
import io.polyarch.testing.Cli;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import io.polyarch.testing.ZtocReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch soci create} against a real distribution registry (no referrers API, so v1 goes through the tag
 * fallback), on a real Debian rootfs image built by dockerd and on generated multi-arch images; the pushed zTOCs
 * are read back with an independent flatbuffer reader and files are decompressed from their spans.
 */
class SociIT {
    static TestRegistry reg;
    static Registries registries;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
    }

    @AfterAll
    static void stop() {
        registries.close();
        reg.close();
    }

    static RegistryClient repo(String name) throws Exception {
        return registries.open(Reference.parse(reg.host() + "/" + name), true);
    }

    static JsonNode json(Cli.Result r) {
        return OciJson.readTree(r.out().getBytes(), "polyarch --json");
    }

    static byte[] blob(RegistryClient c, Descriptor d) throws Exception {
        try (var in = c.openBlob(d)) {
            return in.readAllBytes();
        }
    }

    static RawManifest manifest(RegistryClient c, String ref) throws Exception {
        return c.getManifest(ref).orElseThrow();
    }

    /** A gzip layer of GNU tar over many small files, a big random file (so the layer is over 10 MiB) and links. */
    static byte[] bigLayer(Path dir, String marker, long seed) throws Exception {
        Path root = Files.createDirectories(dir.resolve("tree-" + marker));
        Random rnd = new Random(seed);
        for (int i = 0; i < 300; i++) {
            Path d = Files.createDirectories(root.resolve("data/d" + (i % 17)));
            Files.writeString(d.resolve("f" + i + ".txt"), (marker + " file " + i + "\n").repeat(1 + rnd.nextInt(400)));
        }
        byte[] noise = new byte[11 << 20];
        rnd.nextBytes(noise);
        Files.write(root.resolve("data/noise.bin"), noise);
        Files.createSymbolicLink(root.resolve("data/link"), Path.of("noise.bin"));
        Files.writeString(root.resolve("marker"), marker + "\n");
        Path tgz = dir.resolve(marker + ".tgz");
        Tools.run(List.of("tar", "-C", root.toString(), "--sort=name", "--mtime=2026-01-01", "--owner=0", "--group=0", "--numeric-owner",
                "-czf", tgz.toString(), ".")).requireOk("tar");
        return Files.readAllBytes(tgz);
    }

    /** Every zTOC in a SOCI index manifest read back, checked against its layer: sizes, TOC offsets, file bytes from spans. */
    static void checkZtocs(RegistryClient c, ImageManifest image, ImageManifest soci, String expectedTool) throws Exception {
        assertEquals("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", soci.config().digest().toString());
        assertEquals(2, soci.config().size());
        Set<String> layerDigests = new HashSet<>();
        image.layers().forEach(l -> layerDigests.add(l.digest().toString()));
        for (Descriptor z : soci.layers()) {
            assertEquals("application/octet-stream", z.mediaType().value());
            String layerDigest = z.annotations().get("com.amazon.soci.image-layer-digest");
            assertTrue(layerDigests.contains(layerDigest), "zTOC names a layer of the image: " + layerDigest);
            assertEquals("4194304", z.annotations().get("com.amazon.soci.span-size"));
            Descriptor layer = image.layers().stream().filter(l -> l.digest().toString().equals(layerDigest)).findFirst().orElseThrow();
            assertEquals(layer.mediaType().value(), z.annotations().get("com.amazon.soci.image-layer-mediaType"));
            byte[] layerBytes = blob(c, layer);
            ZtocReader.Read zt = ZtocReader.read(blob(c, z));
            assertEquals("0.9", zt.version());
            assertEquals(expectedTool, zt.buildTool());
            assertEquals(layer.size(), zt.compressedSize());
            byte[] tar = TestImages.gunzip(layerBytes);
            assertTrue(zt.uncompressedSize() > 0 && zt.uncompressedSize() <= tar.length);
            var cps = ZtocReader.checkpoints(zt.checkpoints());
            assertEquals(zt.maxSpanId() + 1, cps.size());
            assertEquals(cps.size(), zt.spanDigests().size());
            // span digests: SHA-256 of the compressed bytes from one checkpoint's byte to the next
            for (int i = 0; i < cps.size(); i++) {
                // soci: a span starts one byte early when its checkpoint is mid-byte, and ends where the next one's byte starts
                long from = cps.get(i).in() - (cps.get(i).bits() > 0 ? 1 : 0);
                long to = i + 1 < cps.size() ? cps.get(i + 1).in() : layerBytes.length;
                byte[] span = java.util.Arrays.copyOfRange(layerBytes, (int) from, (int) to);
                assertEquals(Digest.sha256(span).toString(), zt.spanDigests().get(i), "span " + i);
            }
            // regular files: their bytes at the recorded offset of the plain tar, and the same bytes from the spans
            List<ZtocReader.File> regular = zt.files().stream().filter(f -> f.type().equals("reg") && f.size() > 0).toList();
            assertFalse(regular.isEmpty());
            List<ZtocReader.File> picked = new ArrayList<>();
            picked.add(regular.get(0));
            picked.add(regular.get(regular.size() - 1));
            regular.stream().sorted((a, b) -> Long.compare(b.size(), a.size())).limit(3).forEach(picked::add);
            Random rnd = new Random(5);
            for (int i = 0; i < 20; i++) picked.add(regular.get(rnd.nextInt(regular.size())));
            for (ZtocReader.File f : picked) {
                int len = (int) Math.min(f.size(), 3 << 20);
                byte[] plain = java.util.Arrays.copyOfRange(tar, (int) f.offset(), (int) f.offset() + len);
                byte[] lazy = ZtocReader.extract(layerBytes, cps, f.offset(), len);
                assertArrayEquals(plain, lazy, f.name() + " from its span");
            }
        }
    }

    @Test
    void debianRootfsImageBuiltByDockerGetsAV2IndexThatDockerStillPullsAndRuns(@TempDir Path dir) throws Exception {
        Path rootfs = TestImages.fixtures().resolve("debian-rootfs.tar");
        assertTrue(Files.isRegularFile(rootfs), "the Debian rootfs fixture comes from scripts/setup.sh (debootstrap): " + rootfs);
        Path ctx = Files.createDirectories(dir.resolve("ctx"));
        Files.copy(rootfs, ctx.resolve("rootfs.tar"));
        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM scratch
                ADD rootfs.tar /
                RUN head -c 12000000 /dev/urandom > /opt/noise && echo debian-soci > /etc/polyarch-marker
                CMD ["cat", "/etc/polyarch-marker"]
                """);
        String ref = reg.host() + "/debian/rootfs:1";
        Tools.run(List.of(Tools.docker(), "build", "-q", "-t", ref, ctx.toString()), dir, Map.of("DOCKER_BUILDKIT", "1"), 600).requireOk("docker build");
        Tools.run(List.of(Tools.docker(), "push", ref), dir, Map.of(), 600).requireOk("docker push");
        RegistryClient c = repo("debian/rootfs");
        RawManifest original = manifest(c, "1");

        Cli.Result r = Cli.run("soci", "create", ref, "--to", ref.replace(":1", ":1-soci"), "--json");
        assertEquals(0, r.code(), r.toString());
        JsonNode out = json(r);
        assertEquals("v2", out.path("format").asText());
        RawManifest converted = manifest(c, "1-soci");
        assertEquals(out.path("index").asText(), converted.digest().toString());
        assertEquals(original.digest(), manifest(c, "1").digest(), "the source tag did not move");
        ImageIndex idx = (ImageIndex) converted.parse();
        assertEquals(MediaType.OCI_INDEX, idx.mediaType());
        assertEquals(2, idx.manifests().size());
        Descriptor img = idx.manifests().get(0);
        Descriptor sociDesc = idx.manifests().get(1);
        assertEquals(SociIndexer.ARTIFACT_TYPE_V2, sociDesc.artifactType());
        assertEquals("linux/amd64", sociDesc.platform().toString());
        assertEquals(img.digest().toString(), sociDesc.annotations().get("com.amazon.soci.image-manifest-digest"));
        assertEquals(sociDesc.digest().toString(), img.annotations().get("com.amazon.soci.index-digest"));
        ImageManifest annotated = (ImageManifest) manifest(c, img.digest().toString()).parse();
        assertEquals(sociDesc.digest().toString(), annotated.annotations().get("com.amazon.soci.index-digest"));
        ImageManifest before = (ImageManifest) original.parse();
        assertEquals(before.layers(), annotated.layers(), "layers are untouched");
        assertEquals(before.config().digest(), annotated.config().digest());
        ImageManifest soci = (ImageManifest) manifest(c, sociDesc.digest().toString()).parse();
        assertEquals(SociIndexer.ARTIFACT_TYPE_V2, soci.config().mediaType().value());
        assertEquals(null, soci.subject());
        assertEquals(2, soci.layers().size(), "both layers are over 10 MiB: the rootfs and the RUN layer");
        checkZtocs(c, annotated, soci, "polyarch " + RegistryOptions.version());
        // the rootfs layer's TOC lists what debootstrap installed
        Descriptor rootZtoc = soci.layers().stream().filter(z -> z.annotations().get("com.amazon.soci.image-layer-digest")
                .equals(before.layers().get(0).digest().toString())).findFirst().orElseThrow();
        var names = ZtocReader.read(blob(c, rootZtoc)).files().stream().map(ZtocReader.File::name).toList();
        assertTrue(names.stream().anyMatch(n -> n.endsWith("usr/bin/dpkg")), "dpkg in the TOC");
        assertTrue(names.size() > 3000, "a whole rootfs: " + names.size());

        // docker pulls the converted tag (it skips the SOCI entry) and runs it
        String conv = ref.replace(":1", ":1-soci");
        Tools.run(List.of(Tools.docker(), "rmi", "-f", ref, conv), dir, Map.of(), 120);
        Tools.run(List.of(Tools.docker(), "pull", conv), dir, Map.of(), 300).requireOk("docker pull");
        var run = Tools.run(List.of(Tools.docker(), "run", "--rm", conv), dir, Map.of(), 120).requireOk("docker run");
        assertEquals("debian-soci", run.out().strip());

        // the same again changes nothing
        Cli.Result again = Cli.run("soci", "create", conv, "--json");
        assertEquals(0, again.code(), again.toString());
        assertEquals(converted.digest().toString(), json(again).path("index").asText());
        assertFalse(json(again).path("tagMoved").asBoolean());
    }

    static RawManifest pushMultiArch(RegistryClient c, String tag, Path dir) throws Exception {
        byte[] amd = bigLayer(dir, "amd64", 1);
        byte[] arm = bigLayer(dir, "arm64", 2);
        byte[] small = TarBuilderLayers.random(5000, 77);
        RawManifest a = TestImages.push(c, tag + "-amd64", "amd64", "amd64", false, amd, small);
        RawManifest b = TestImages.push(c, tag + "-arm64", "arm64", "arm64", false, arm, small);
        return TestImages.pushIndex(c, tag, List.of(a, b), List.of(Platform.LINUX_AMD64, new Platform("linux", "arm64", "v8")), null);
    }

    @Test
    void allPlatformsV2InPlaceThenDockerRunsBothArchitectures(@TempDir Path dir) throws Exception {
        RegistryClient c = repo("multi/app");
        RawManifest idx = pushMultiArch(c, "2", dir);
        Cli.Result r = Cli.run("soci", "create", reg.host() + "/multi/app:2", "--all-platforms");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(was " + idx.digest() + ")"), r.out());
        assertTrue(r.err().contains("skipped: size"), "small layers are skipped with a note: " + r.err());
        ImageIndex now = (ImageIndex) manifest(c, "2").parse();
        assertEquals(4, now.manifests().size());
        for (String arch : List.of("amd64", "arm64")) {
            Descriptor image = now.manifests().stream().filter(d -> d.artifactType() == null && d.platform().architecture().equals(arch)).findFirst().orElseThrow();
            Descriptor soci = now.manifests().stream().filter(d -> SociIndexer.ARTIFACT_TYPE_V2.equals(d.artifactType())
                    && d.platform().architecture().equals(arch)).findFirst().orElseThrow();
            assertEquals(soci.digest().toString(), image.annotations().get("com.amazon.soci.index-digest"));
            ImageManifest sm = (ImageManifest) manifest(c, soci.digest().toString()).parse();
            assertEquals(1, sm.layers().size(), arch + ": only the big layer is indexed");
            checkZtocs(c, (ImageManifest) manifest(c, image.digest().toString()).parse(), sm, "polyarch " + RegistryOptions.version());
        }
        for (String p : List.of("linux/amd64", "linux/arm64")) {
            var run = Tools.run(List.of(Tools.docker(), "run", "--rm", "--pull", "always", "--platform", p, reg.host() + "/multi/app:2",
                    "cat", "/marker"), dir, Map.of(), 300).requireOk("docker run " + p);
            assertEquals(p.substring(6), run.out().strip());
        }
    }

    @Test
    void v1GoesThroughTheReferrersTagFallbackAndMovesNoTag(@TempDir Path dir) throws Exception {
        RegistryClient c = repo("multi/v1");
        RawManifest idx = pushMultiArch(c, "1", dir);
        Cli.Result r = Cli.run("soci", "create", reg.host() + "/multi/v1:1", "--format", "v1", "--platform", "linux/arm64", "--json");
        assertEquals(0, r.code(), r.toString());
        assertEquals(idx.digest(), manifest(c, "1").digest(), "v1 moves no tag");
        ImageIndex index = (ImageIndex) idx.parse();
        Descriptor arm = index.manifests().get(1);
        Descriptor amd = index.manifests().get(0);
        // distribution 2.8 has no referrers API: the client keeps the sha256-<hex> tag
        assertTrue(c.listTags().contains("sha256-" + arm.digest().hex()), c.listTags().toString());
        List<Descriptor> refs = c.referrers(arm.digest());
        assertEquals(1, refs.size());
        assertEquals(SociIndexer.ARTIFACT_TYPE_V1, refs.get(0).artifactType());
        assertEquals(json(r).path("images").get(0).path("sociIndex").asText(), refs.get(0).digest().toString());
        ImageManifest soci = (ImageManifest) manifest(c, refs.get(0).digest().toString()).parse();
        assertEquals(arm.digest(), soci.subject().digest());
        assertEquals(SociIndexer.ARTIFACT_TYPE_V1, soci.config().mediaType().value());
        assertTrue(c.referrers(amd.digest()).isEmpty(), "only the platform asked for");
        // again: the fallback list does not grow
        assertEquals(0, Cli.run("soci", "create", reg.host() + "/multi/v1:1", "--format", "v1", "--platform", "linux/arm64").code());
        assertEquals(1, c.referrers(arm.digest()).size());
    }

    @Test
    void badInputIsNamedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        RegistryClient c = repo("bad/app");
        // a layer that says gzip but is not
        byte[] junk = new byte[11 << 20];
        new Random(3).nextBytes(junk);
        RawManifest img = TestImages.push(c, "junk", "amd64", "amd64", false, junk);
        List<String> tagsBefore = c.listTags();
        Cli.Result r = Cli.run("soci", "create", reg.host() + "/bad/app:junk", "--to", reg.host() + "/bad/app:junk-soci");
        assertEquals(1, r.code(), r.toString());
        String layer = ((ImageManifest) img.parse()).layers().get(1).digest().toString();
        assertTrue(r.err().contains(layer) && r.err().contains("cannot be indexed") && r.err().contains("gzip"), r.err());
        assertEquals(tagsBefore, c.listTags(), "no tag written, no referrers tag");
        assertTrue(c.statBlob(Digest.parse("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")).isEmpty(), "no SOCI blob written");

        // a truncated gzip layer
        byte[] good = bigLayer(dir, "trunc", 4);
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 5000);
        TestImages.push(c, "cut", "amd64", "amd64", false, cut);
        r = Cli.run("soci", "create", reg.host() + "/bad/app:cut", "--to", reg.host() + "/bad/app:cut-soci");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("cannot be indexed"), r.err());
        assertFalse(c.listTags().contains("cut-soci"));

        // nothing over the minimum
        r = Cli.run("soci", "create", reg.host() + "/bad/app:junk", "--min-layer-size", "1GiB", "--to", reg.host() + "/bad/app:x");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("--min-layer-size"), r.err());

        // usage errors: exit 2, naming the option
        assertEquals(2, Cli.run("soci", "create", reg.host() + "/bad/app:junk", "--platform", "linux/s390x").code());
        Cli.Result fmt = Cli.run("soci", "create", reg.host() + "/bad/app:junk", "--format", "v3");
        assertEquals(2, fmt.code());
        assertTrue(fmt.err().contains("--format"), fmt.err());
        Cli.Result size = Cli.run("soci", "create", reg.host() + "/bad/app:junk", "--span-size", "4 parsecs");
        assertEquals(2, size.code());
        assertTrue(size.err().contains("--span-size"), size.err());
        Cli.Result missing = Cli.run("soci", "create", reg.host() + "/bad/app:nope");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("nope"), missing.err());
        assertNotEquals(0, Cli.run("soci", "create", reg.host() + "/bad/app@" + img.digest()).code(), "v2 by digest needs --to");
    }

    @Test
    void zstdLayersAreSkippedWithANoteAndLayoutTargetsWork(@TempDir Path dir) throws Exception {
        RegistryClient c = repo("zstd/app");
        byte[] gz = bigLayer(dir, "z", 6);
        RawManifest img = TestImages.push(c, "1", "amd64", "amd64", false, gz);
        // the same image with an extra layer declared zstd
        ImageManifest m = (ImageManifest) img.parse();
        byte[] fake = new byte[12 << 20];
        Descriptor z = Descriptor.of(MediaType.OCI_LAYER_ZSTD, fake);
        c.putBlob(z, () -> new ByteArrayInputStream(fake));
        List<Descriptor> layers = new ArrayList<>(m.layers());
        layers.add(z);
        RawManifest withZstd = RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(new ImageManifest(MediaType.OCI_MANIFEST, m.config(), layers, null, null, Map.of())));
        c.putManifest(withZstd, "zstd");
        Path layout = dir.resolve("layout");
        Cli.Result r = Cli.run("soci", "create", reg.host() + "/zstd/app:zstd", "--to", "oci:" + layout + ":soci", "--json");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("zstd"), r.err());
        JsonNode layersOut = json(r).path("images").get(0).path("layers");
        assertTrue(layersOut.get(2).path("skipped").asText().contains("zstd"));
        assertTrue(layersOut.get(1).has("ztoc"));
        // the layout is valid for skopeo and lists the SOCI index
        var raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + layout + ":soci")).requireOk("skopeo inspect");
        assertTrue(raw.out().contains(SociIndexer.ARTIFACT_TYPE_V2), raw.out());
        assertNotNull(json(r).path("index").asText(null));
    }
}
