package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build keys against the real engine, QEMU and registry: a run whose inputs did not change takes the images already
 * in the destination (and still publishes its new tags); any input that the image depends on makes it build.
 */
class IncrementalIT {
    static TestRegistry reg;
    static Registries registries;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
        publishBase("one");
    }

    @AfterAll
    static void stop() {
        registries.close();
        reg.close();
    }

    /** The base image under base:latest, its content marked so that two versions differ. */
    static void publishBase(String marker) throws Exception {
        try (RegistryClient b = registries.open(Reference.parse(reg.host() + "/base"), true)) {
            TestImages.pushBase(b, "-" + marker);
        }
    }

    static GitRepo monorepo(Path dir, String repo) {
        return GitRepo.init(dir)
                .write("services/api/Dockerfile", """
                        ARG BASE
                        FROM ${BASE}
                        ARG ARCH
                        COPY name.txt /name.txt
                        RUN echo "$(cat /name.txt) on $(uname -m)" > /built.txt
                        CMD ["cat", "/built.txt"]
                        """)
                .write("services/api/name.txt", "api v1\n")
                .write("services/api/.dockerignore", "*.log\n")
                .write("README.md", "the monorepo\n")
                .write("polyarch.yaml", """
                        workDir: services/api
                        destination: {registry: {repository: %s, tagRules: [latest, commit-short]}}
                        buildArgs: {BASE: %s/base:latest}
                        """.formatted(repo, reg.host()));
    }

    record Run(Cli.Result cli, JsonNode json) {
        Map<String, JsonNode> images() {
            Map<String, JsonNode> m = new HashMap<>();
            json.path("images").forEach(i -> m.put(i.path("platform").asText(), i));
            return m;
        }

        boolean reused(String platform) {
            return images().get(platform).has("reused");
        }
    }

    static Run run(GitRepo g, Path tmp, String... extra) throws Exception {
        Path out = Files.createTempFile(tmp, "run", ".json");
        List<String> args = new java.util.ArrayList<>(List.of("run", "--source", g.dir().toString(), "--json", out.toString()));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        return new Run(r, OciJson.mapper().readTree(Files.readAllBytes(out)));
    }

    static String dockerRun(String platform, String ref) {
        return Tools.run(List.of(Tools.docker(), "run", "--rm", "--pull", "always", "--platform", platform, ref)).requireOk("docker run").out().strip();
    }

    static Digest tagDigest(String repo, String tag) throws Exception {
        try (RegistryClient c = registries.open(Reference.parse(repo), false)) {
            return c.headManifest(tag).orElseThrow().digest();
        }
    }

    /** A manifest as skopeo reads it from the registry. */
    static JsonNode rawJson(String ref) throws Exception {
        String raw = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo inspect " + ref).out();
        return OciJson.mapper().readTree(raw);
    }

    @Test
    void unchangedInputsReuseChangedInputsRebuild(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/incr/api";
        GitRepo g = monorepo(tmp.resolve("src"), repo);
        g.commit("first");
        Run first = run(g, tmp);
        for (String p : List.of("linux/amd64", "linux/arm64")) assertNull(first.images().get(p).get("reused"), "built: " + p);
        Digest index1 = Digest.parse(first.json().path("index").path("digest").asText());

        // keys differ per platform, and each key's tag names that platform's image
        try (RegistryClient c = registries.open(Reference.parse(repo), false)) {
            List<String> keyTags = c.listTags().stream().filter(t -> t.startsWith("polyarch-key-")).toList();
            assertEquals(2, keyTags.size(), keyTags.toString());
            for (JsonNode img : first.json().path("images")) {
                Digest d = Digest.parse(img.path("digest").asText());
                assertTrue(keyTags.stream().anyMatch(t -> {
                    try {
                        return c.headManifest(t).orElseThrow().digest().equals(d);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }), "a key tag names " + img.path("platform").asText());
            }
        }

        // a commit outside workDir (and an ignored file inside it): nothing builds, the new commit's tag is published
        g.write("README.md", "the monorepo, documented\n").write("services/api/debug.log", "noise\n");
        String sha2 = g.commit("docs only");
        Run second = run(g, tmp);
        assertTrue(second.reused("linux/amd64") && second.reused("linux/arm64"), second.cli().out());
        assertTrue(second.images().get("linux/arm64").path("reused").asText().contains("same platform, Dockerfile, build args, base image digests and context"));
        assertEquals(0, second.images().get("linux/arm64").path("engineMs").asLong(), "the engine did not build");
        assertTrue(second.cli().out().contains("reused"), second.cli().out());
        Digest index2 = Digest.parse(second.json().path("index").path("digest").asText());
        assertEquals(index2, tagDigest(repo, sha2.substring(0, 8)), "the new commit-short tag is published");
        JsonNode idx1 = rawJson(repo + "@" + index1);
        JsonNode idx2 = rawJson(repo + "@" + index2);
        assertEquals(idx1.path("manifests"), idx2.path("manifests"), "the same images under the new index");
        assertEquals(sha2, idx2.path("annotations").path("org.opencontainers.image.revision").asText(), "whose revision is the new commit");
        assertEquals("api v1 on aarch64", dockerRun("linux/arm64", repo + ":" + sha2.substring(0, 8)));

        // --rebuild builds anyway
        Run forced = run(g, tmp, "--rebuild");
        assertNull(forced.images().get("linux/arm64").get("reused"));

        // a one-line change inside the context rebuilds
        g.write("services/api/name.txt", "api v2\n");
        g.commit("change");
        Run third = run(g, tmp);
        assertTrue(!third.reused("linux/amd64") && !third.reused("linux/arm64"), third.cli().out());
        assertNotEquals(index1.toString(), third.json().path("index").path("digest").asText());
        assertEquals("api v2 on aarch64", dockerRun("linux/arm64", repo + ":latest"));

        // a new base image under the same tag rebuilds
        Run same = run(g, tmp);
        assertTrue(same.reused("linux/amd64"));
        publishBase("two");
        Run rebased = run(g, tmp);
        assertTrue(!rebased.reused("linux/amd64") && !rebased.reused("linux/arm64"), rebased.cli().out());
    }

    @Test
    void aKeyTagMovedToAnotherImageIsNotTrusted(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/incr/guarded";
        GitRepo g = monorepo(tmp.resolve("src"), repo);
        g.commit("first");
        Run first = run(g, tmp);
        // someone points the arm64 key's tag at the amd64 image
        try (RegistryClient c = registries.open(Reference.parse(repo), true)) {
            Digest arm = Digest.parse(first.images().get("linux/arm64").path("digest").asText());
            Digest amd = Digest.parse(first.images().get("linux/amd64").path("digest").asText());
            String armKeyTag = c.listTags().stream().filter(t -> t.startsWith("polyarch-key-")).filter(t -> {
                try {
                    return c.headManifest(t).orElseThrow().digest().equals(arm);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).findFirst().orElseThrow();
            c.putManifest(c.getManifest(amd.toString()).orElseThrow(), armKeyTag);
        }
        Run second = run(g, tmp);
        assertTrue(second.reused("linux/amd64"));
        assertTrue(!second.reused("linux/arm64"), "the label does not match: built again");
        assertNotNull(second.images().get("linux/arm64").path("digest").asText());
        assertEquals("api v1 on aarch64", dockerRun("linux/arm64", repo + ":latest"));
    }

    @Test
    void aFreshEngineTakesUnchangedStepsFromThePlatformsOwnRegistryCache(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/incr/cached";
        GitRepo g = GitRepo.init(tmp.resolve("src"))
                .write("Dockerfile", """
                        ARG BASE
                        FROM ${BASE}
                        RUN head -c 8 /dev/urandom | od -An -tx1 > /stamp
                        COPY name.txt /name.txt
                        CMD ["cat", "/stamp"]
                        """)
                .write("name.txt", "v1\n")
                .write("polyarch.yaml", """
                        destination: {registry: {repository: %s, tagRules: [latest]}}
                        buildArgs: {BASE: %s/base:latest}
                        """.formatted(repo, reg.host()));
        g.commit("first");
        run(g, tmp);
        String amd1 = dockerRun("linux/amd64", repo + ":latest");
        String arm1 = dockerRun("linux/arm64", repo + ":latest");
        assertNotEquals(amd1, arm1, "each platform ran its own RUN step");
        // a fresh engine: no build cache, none of these images
        Tools.run(List.of(Tools.docker(), "builder", "prune", "-af")).requireOk("docker builder prune");
        String images = Tools.run(List.of(Tools.docker(), "images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")).requireOk("docker images").out();
        List<String> ours = images.lines().filter(l -> l.contains("incr/cached")).toList();
        assertTrue(ours.stream().anyMatch(l -> l.contains(" polyarch-build/")), "the builds' local images: " + images);
        List<String> rmi = new java.util.ArrayList<>(List.of(Tools.docker(), "rmi", "-f"));
        ours.forEach(l -> rmi.add(l.substring(0, l.indexOf(' '))));
        Tools.run(rmi);
        String left = Tools.run(List.of(Tools.docker(), "images", "--format", "{{.Repository}}:{{.Tag}}")).requireOk("docker images").out();
        assertTrue(left.lines().noneMatch(l -> l.contains("incr/cached")), "removed: " + left);
        g.write("name.txt", "v2\n");
        g.commit("second");
        Run second = run(g, tmp);
        assertTrue(!second.reused("linux/amd64") && !second.reused("linux/arm64"), "the context changed: both build");
        assertEquals(amd1, dockerRun("linux/amd64", repo + ":latest"), "the RUN step came from amd64's cache in the registry");
        assertEquals(arm1, dockerRun("linux/arm64", repo + ":latest"), "and arm64's from its own");
        try (RegistryClient c = registries.open(Reference.parse(repo), false)) {
            assertTrue(c.listTags().containsAll(List.of("polyarch-cache-amd64", "polyarch-cache-arm64")), c.listTags().toString());
        }
    }

    @Test
    void onePlatformPerJobThenAReuseOnlyPublishStep(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/incr/split";
        GitRepo g = monorepo(tmp.resolve("src"), repo);
        String sha = g.commit("split");
        // the publish step before the platform jobs: nothing to take, fails, no tag written
        Cli.Result early = Cli.run("run", "--source", g.dir().toString(), "--reuse-only");
        assertEquals(1, early.code(), early.toString());
        assertTrue(early.out().contains("--reuse-only: no image with build key"), early.out());
        for (String p : List.of("linux/amd64", "linux/arm64")) {
            Cli.Result job = Cli.run("run", "--source", g.dir().toString(), "--platform", p, "--no-publish");
            assertEquals(0, job.code(), job.toString());
            assertTrue(job.out().contains("build only (--no-publish)"), job.out());
        }
        try (RegistryClient c = registries.open(Reference.parse(repo), false)) {
            assertTrue(c.headManifest("latest").isEmpty(), "no index yet");
        }
        Run publish = run(g, tmp, "--reuse-only");
        assertTrue(publish.reused("linux/amd64") && publish.reused("linux/arm64"), publish.cli().out());
        assertEquals("api v1 on aarch64", dockerRun("linux/arm64", repo + ":" + sha.substring(0, 8)));
        assertEquals("api v1 on x86_64", dockerRun("linux/amd64", repo + ":latest"));
        assertEquals(2, Cli.run("run", "--source", g.dir().toString(), "--reuse-only", "--rebuild").code());
    }
}
