package io.polyarch.it;

import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.CosignKeys;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code polyarch copy} between registries, repositories and layouts, digests preserved. */
class CopyIT {
    static TestRegistry a;
    static TestRegistry b;
    static Registries registries;
    static RawManifest index;
    static RawManifest arm;

    @BeforeAll
    static void start() throws Exception {
        a = TestRegistry.plain();
        b = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
        RegistryClient src = registries.open(Reference.parse(a.host() + "/app"), true);
        RawManifest amd = TestImages.push(src, "amd64", "amd64", "amd64", false, TarBuilderLayers.random(3 << 20, 1));
        arm = TestImages.push(src, "arm64", "arm64", "arm64", false, TarBuilderLayers.random(3 << 20, 2));
        index = TestImages.pushIndex(src, "v1", List.of(amd, arm), List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64), null);
    }

    @AfterAll
    static void stop() {
        registries.close();
        a.close();
        b.close();
    }

    static String digestOf(String ref) {
        return Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo").out();
    }

    @Test
    void copiesAnIndexBetweenRegistriesWithDigestsPreserved() {
        var r = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", b.host() + "/mirror/app:v1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\"digest\" : \"" + index.digest() + "\""), r.out());
        // byte-identical manifests at the destination, every child pullable by skopeo
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(b.host() + "/mirror/app:v1"));
        Tools.run(List.of("skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + b.host() + "/mirror/app:v1", "dir:" + tmpDir()))
                .requireOk("skopeo pulls the copy");

        // a second copy moves no blob
        var again = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", b.host() + "/mirror/app:v1");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("\"blobsCopied\" : 0"), again.out());
    }

    @Test
    void mountsWithinARegistry() {
        var r = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", a.host() + "/other/app:v1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\"blobsCopied\" : 0"), r.out());
        assertTrue(r.out().contains("\"blobsMounted\" : 6"), r.out());
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(a.host() + "/other/app:v1"));
    }

    @Test
    void withoutAllCopiesOnePlatform(@TempDir Path tmp) {
        var r = Cli.run("copy", "--platform", "linux/arm64", a.host() + "/app:v1", "oci:" + tmp.resolve("one") + ":arm");
        assertEquals(0, r.code(), r.toString());
        var raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + tmp.resolve("one") + ":arm")).requireOk("skopeo oci");
        assertEquals(new String(arm.bytes()), raw.out());

        var none = Cli.run("copy", "--platform", "linux/s390x", a.host() + "/app:v1", "oci:" + tmp.resolve("two"));
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("has no image for linux/s390x; it has linux/amd64, linux/arm64"), none.err());
    }

    @Test
    void roundTripsThroughALayout(@TempDir Path tmp) {
        String layout = "oci:" + tmp.resolve("lay") + ":v1";
        assertEquals(0, Cli.run("copy", "--all", a.host() + "/app:v1", layout).code());
        Tools.run(List.of("oci-image-tool", "validate", "--type", "image", "--ref", "name=v1", tmp.resolve("lay").toString())).requireOk("validate");
        var back = Cli.run("copy", "--all", layout, b.host() + "/back:v1");
        assertEquals(0, back.code(), back.toString());
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(b.host() + "/back:v1"));
    }

    /**
     * A signed image with SOCI v1 indexes, as polyarch publishes it, promoted to another registry: with --referrers the
     * SOCI indexes, the signatures and the provenance come along (cosign 2.5.0 verifies them there), a signature the
     * destination already had from another key stays, and a second copy adds nothing; without it, none come.
     */
    @Test
    void withReferrersTheSociIndexesSignaturesAndProvenanceComeAlong(@TempDir Path tmp) throws Exception {
        CosignKeys mine = CosignKeys.generate("copy-key-password");
        CosignKeys theirs = CosignKeys.generate("their-key-password");
        String source = a.host() + "/signed/shop";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n").write("polyarch.yaml", """
                pipelineName: shop
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                sign: {key: %s}
                soci: {format: v1, minLayerSize: 0}
                """.formatted(source, TestImages.publishBase(a), mine.key()));
        g.commit("signed, with SOCI v1");
        var run = Cli.run(java.util.Map.of("COSIGN_PASSWORD", mine.password()), "run", "--source", g.dir().toString());
        assertEquals(0, run.code(), run.toString());
        String index = sha256(digestOf(source + ":latest"));

        // without --referrers: the images only
        String plain = b.host() + "/plain/shop";
        assertEquals(0, Cli.run("copy", "--all", source + ":latest", plain + ":v1").code());
        assertEquals(index, sha256(digestOf(plain + ":v1")));
        assertTrue(mine.verify(mine.pub().toString(), plain + ":v1").code() != 0, "no signature was copied");

        // the destination has the index already, signed there by another key
        String prod = b.host() + "/prod/shop";
        assertEquals(0, Cli.run("copy", "--all", source + ":latest", prod + ":v0").code());
        theirs.run("sign", "--key", theirs.key().toString(), "--tlog-upload=false", "--allow-insecure-registry", "-y", prod + "@" + index)
                .requireOk("cosign sign with their key");

        var r = Cli.run("copy", "--all", "--referrers", "--json", source + ":latest", prod + ":v1");
        assertEquals(0, r.code(), r.toString());
        var out = io.polyarch.oci.OciJson.mapper().readTree(r.out());
        assertEquals(index, out.path("digest").asText());
        assertTrue(out.path("attachmentsAdded").asInt() > 0, r.out());
        int sociIndexes = 0;
        for (var ref : out.path("referrers")) if ("application/vnd.amazon.soci.index.v1+json".equals(ref.path("artifactType").asText())) sociIndexes++;
        assertEquals(2, sociIndexes, "one SOCI index per platform: " + r.out());

        // both keys verify the index there; each image's signature and provenance verify too
        assertEquals(0, mine.verify(mine.pub().toString(), prod + ":v1").code(), "the source's signature");
        assertEquals(0, theirs.verify(theirs.pub().toString(), prod + ":v1").code(), "the destination's own signature is kept");
        var idx = io.polyarch.oci.OciJson.mapper().readTree(digestOf(prod + ":v1"));
        for (var m : idx.path("manifests")) {
            if (!List.of("amd64", "arm64").contains(m.path("platform").path("architecture").asText())) continue;
            String child = prod + "@" + m.path("digest").asText();
            assertEquals(0, mine.verify(mine.pub().toString(), child).code(), child);
            var att = mine.verifyAttestation(mine.pub().toString(), child);
            assertEquals(0, att.code(), "cosign verify-attestation " + child + ": " + att);
            // distribution 2.8 has no referrers API: the same list under the tag sha256-<hex> in both
            String tag = m.path("digest").asText().replace(':', '-');
            assertEquals(digestOf(source + ":" + tag), digestOf(prod + ":" + tag));
        }
        var pv = Cli.run("verify", prod + ":v1", "--key", mine.pub().toString());
        assertEquals(0, pv.code(), "polyarch verify at the destination: " + pv);

        var again = Cli.run("copy", "--all", "--referrers", "--json", source + ":latest", prod + ":v1");
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, io.polyarch.oci.OciJson.mapper().readTree(again.out()).path("attachmentsAdded").asInt(), again.out());

        // through a layout, whose copy of a SOCI index's zTOC is then lost: the copy out of it fails, and the tag
        // it would have written is not there
        Path lay = tmp.resolve("lay");
        var toLayout = Cli.run("copy", "--all", "--referrers", "--json", source + ":latest", "oci:" + lay + ":v1");
        assertEquals(0, toLayout.code(), toLayout.toString());
        String soci = io.polyarch.oci.OciJson.mapper().readTree(toLayout.out()).path("referrers").path(0).path("digest").asText();
        var sociManifest = io.polyarch.oci.OciJson.mapper().readTree(java.nio.file.Files.readAllBytes(lay.resolve("blobs/sha256/" + soci.substring(7))));
        String ztoc = sociManifest.path("layers").path(0).path("digest").asText();
        java.nio.file.Files.delete(lay.resolve("blobs/sha256/" + ztoc.substring(7)));
        String broken = b.host() + "/broken/shop";
        var fails = Cli.run("copy", "--all", "--referrers", "oci:" + lay + ":v1", broken + ":v1");
        assertEquals(1, fails.code(), fails.toString());
        assertTrue(fails.err().contains(ztoc.substring(7, 19)), "names the missing blob: " + fails.err());
        assertTrue(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + broken + ":v1")).code() != 0,
                "no tag written at the destination");
    }

    static String sha256(String raw) {
        return io.polyarch.oci.Digest.sha256(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    @Test
    void missingSourceAndBadReferences() {
        var missing = Cli.run("copy", "--all", a.host() + "/app:nope", b.host() + "/x:v1");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("manifest nope not found in " + a.host() + "/app"), missing.err());
        var bad = Cli.run("copy", "http://" + a.host() + "/app:v1", b.host() + "/x:v1");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("without a scheme"), bad.err());
    }

    static String tmpDir() {
        try {
            return java.nio.file.Files.createTempDirectory("skopeo-dir").toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
