package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Cli;
import io.polyarch.testing.CosignKeys;
import io.polyarch.testing.FaultProxy;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code destinations:} on two real registries (distribution, Docker 20.10, QEMU for arm64): one index under one
 * digest in both, each registry with its own tags and arch tags, the signatures and provenance there too (cosign
 * 2.5.0 verifies them in the second registry); and the failures that must move no tag: a second registry that
 * refuses a signature, one that cannot be reached, one that refuses a tag after the first had moved.
 */
class DestinationsIT {
    static final String PASSWORD = "destinations-key-password";
    static TestRegistry first;
    static TestRegistry second;
    static String base;
    static CosignKeys keys;

    @BeforeAll
    static void start() throws Exception {
        first = TestRegistry.plain();
        second = TestRegistry.plain();
        base = TestImages.publishBase(first);
        keys = CosignKeys.generate(PASSWORD);
    }

    @AfterAll
    static void stop() {
        first.close();
        second.close();
    }

    static GitRepo app(Path dir, String destinations) {
        return GitRepo.init(dir).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n").write("polyarch.yaml", """
                pipelineName: shop
                destinations:
                %s
                tagRules: [latest, commit-short]
                buildArgs: {BASE: %s}
                sign: {key: %s}
                """.formatted(destinations, base, keys.key()));
    }

    static String digestOf(String ref) {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref));
        if (r.code() != 0) return null;
        return io.polyarch.oci.Digest.sha256(r.out().getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    static JsonNode raw(String ref) throws Exception {
        return OciJson.mapper().readTree(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo " + ref).out());
    }

    @Test
    void oneIndexUnderOneDigestInBothRegistriesEachWithItsOwnTagsAndTheSignatures(@TempDir Path tmp) throws Exception {
        String one = first.host() + "/multi/shop";
        String two = second.host() + "/mirror/shop";
        GitRepo g = app(tmp.resolve("src"), """
                  - registry: {repository: %s}
                  - registry: {repository: %s, tagRules: [stable, "{commit}"]}
                """.formatted(one, two));
        String sha = g.commit("first");
        Path json = tmp.resolve("run.json");
        var r = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse((r.out() + r.err()).contains(PASSWORD));
        JsonNode s = OciJson.mapper().readTree(Files.readAllBytes(json));
        String index = s.path("index").path("digest").asText();

        // the same bytes in both: one digest, the first registry's tags there, the second's own tags there
        assertEquals(index, digestOf(one + ":latest"));
        assertEquals(index, digestOf(one + ":" + sha.substring(0, 8)));
        assertEquals(index, digestOf(two + ":stable"));
        assertEquals(index, digestOf(two + ":" + sha));
        assertEquals(null, digestOf(two + ":latest"), "the second destination has its own tag rules, which give no latest");
        JsonNode also = s.path("alsoPublished").path(0);
        assertEquals(two, also.path("repository").asText(), s.toString());
        assertEquals(List.of("stable", sha), OciJson.mapper().convertValue(also.path("tagsWritten"), List.class));

        // arch tags in each: <tag>-<arch> names that platform's child of the index under <tag>
        for (JsonNode m : raw(two + "@" + index).path("manifests")) {
            String arch = m.path("platform").path("architecture").asText();
            assertEquals(m.path("digest").asText(), digestOf(two + ":" + sha + "-" + arch));
            assertEquals(m.path("digest").asText(), digestOf(one + ":latest-" + arch));
            // signatures and provenance copied: cosign checks them in the second registry
            String child = two + "@" + m.path("digest").asText();
            var v = keys.verify(keys.pub().toString(), child);
            assertEquals(0, v.code(), "cosign verify " + child + ": " + v);
            var att = keys.verifyAttestation(keys.pub().toString(), child);
            assertEquals(0, att.code(), "cosign verify-attestation " + child + ": " + att);
        }
        var vi = keys.verify(keys.pub().toString(), two + ":stable");
        assertEquals(0, vi.code(), vi.toString());
        var pv = Cli.run("verify", two + ":stable", "--key", keys.pub().toString());
        assertEquals(0, pv.code(), "polyarch verify in the second registry: " + pv);
        // and the image the second registry serves runs as its platform
        assertEquals("ARCH=arm64 machine=aarch64", RunIT.dockerRun("linux/arm64", two + ":stable"));
    }

    @Test
    void soci1ReferrersGoToTheSecondRegistryWithTheirImages(@TempDir Path tmp) throws Exception {
        String one = first.host() + "/soci1/shop";
        String two = second.host() + "/soci1/shop";
        GitRepo g = app(tmp.resolve("src"), "  - registry: {repository: " + one + "}\n  - registry: {repository: " + two + "}\n");
        Files.writeString(g.dir().resolve("polyarch.yaml"), Files.readString(g.dir().resolve("polyarch.yaml")) + "soci: {format: v1, minLayerSize: 0}\n");
        g.commit("soci v1");
        var r = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString());
        assertEquals(0, r.code(), r.toString());
        String index = digestOf(one + ":latest");
        assertEquals(index, digestOf(two + ":latest"));
        for (JsonNode m : raw(two + "@" + index).path("manifests")) {
            // distribution 2.8 has no referrers API: the referrers of each image are listed under the tag sha256-<hex>
            String tag = m.path("digest").asText().replace(':', '-');
            JsonNode referrers = raw(two + ":" + tag);
            assertEquals(raw(one + ":" + tag), referrers, "the same referrers in both");
            assertTrue(referrers.path("manifests").toString().contains("application/vnd.amazon.soci.index.v1+json"), referrers.toString());
        }
    }

    @Test
    void aSecondRegistryThatRefusesTheSignaturesMovesNoTagInEither(@TempDir Path tmp) throws Exception {
        try (FaultProxy proxy = new FaultProxy("127.0.0.1", second.port(), 0)) {
            String one = first.host() + "/refused/shop";
            String two = proxy.host() + "/refused/shop";
            GitRepo g = app(tmp.resolve("src"), """
                      - registry: {repository: %s}
                      - registry: {repository: %s}
                    """.formatted(one, two));
            g.commit("first");
            var ok = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString());
            assertEquals(0, ok.code(), ok.toString());
            String before = digestOf(one + ":latest");
            assertEquals(before, digestOf(two + ":latest"));

            g.write("NOTES.txt", "a change the image sees\n").commit("second");
            proxy.refuse("PUT", ".sig");
            var refused = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString());
            assertEquals(1, refused.code(), refused.toString());
            String said = refused.out() + refused.err();
            assertTrue(said.contains(two) && said.contains("no tag was moved anywhere"), refused.toString());
            assertEquals(before, digestOf(one + ":latest"), "the first registry's latest did not move");
            assertEquals(before, digestOf(two + ":latest"), "nor the second's");

            // a second registry that refuses a tag after the first's have moved: exit 1, named; a second run finishes it
            proxy.refuse("PUT", "/manifests/latest");
            var tagRefused = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString());
            assertEquals(1, tagRefused.code(), tagRefused.toString());
            String told = tagRefused.out() + tagRefused.err();
            assertTrue(told.contains("tagging " + two + " failed") && told.contains("run again to tag the rest")
                    && !told.contains("publishing the index failed"), tagRefused.toString());
            String moved = digestOf(one + ":latest");
            assertNotEquals(before, moved, "the first destination's tags moved");
            assertEquals(before, digestOf(two + ":latest"));
            proxy.refuse(null, null);
            var again = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString());
            assertEquals(0, again.code(), again.toString());
            assertEquals(moved, digestOf(two + ":latest"), "the same index, now tagged in the second registry too");
        }
    }

    @Test
    void aSecondDestinationThatCannotBeReachedFailsBeforeAnyBuild(@TempDir Path tmp) throws Exception {
        String one = first.host() + "/unreachable/shop";
        GitRepo g = app(tmp.resolve("src"), "  - registry: {repository: " + one + "}\n");
        g.commit("first");
        String nowhere = "127.0.0.1:" + TestRegistry.freePort() + "/nowhere/shop";
        long t0 = System.nanoTime();
        var r = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--also-to", nowhere);
        assertEquals(1, r.code(), r.toString());
        String said = r.out() + r.err();
        assertTrue(said.contains("cannot use the destination " + nowhere) && said.contains("nothing was built"), r.toString());
        assertEquals(null, digestOf(one + ":latest"));
        assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "failed at the start, not after the builds");
        // a build-only run (a CI platform job) writes nothing there, so needs no access to it
        var buildOnly = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--also-to", nowhere, "--no-publish");
        assertEquals(0, buildOnly.code(), buildOnly.toString());
    }
}
