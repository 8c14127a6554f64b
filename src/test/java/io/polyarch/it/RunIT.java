package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Digest;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.SecondEngine;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch run} end to end: real Git repositories, the real Docker engine (BuildKit and the classic
 * builder), buildah, QEMU for arm64, a real registry; every published index pulled and run by docker and
 * read by skopeo.
 */
class RunIT {
    static TestRegistry reg;
    static Registries registries;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
        base = TestImages.publishBase(reg, registries);
    }

    @AfterAll
    static void stop() {
        registries.close();
        reg.close();
    }

    static final String APP_DOCKERFILE = """
            ARG BASE
            FROM ${BASE}
            ARG ARCH=none
            RUN echo "ARCH=${ARCH} machine=$(uname -m)" > /built.txt
            CMD ["cat", "/built.txt"]
            """;

    static Cli.Result run(Map<String, String> env, String... args) {
        List<String> a = new ArrayList<>(List.of("run"));
        a.addAll(List.of(args));
        return Cli.run(env, a.toArray(String[]::new));
    }

    static Cli.Result run(String... args) {
        return run(Map.of(), args);
    }

    static String dockerRun(String platform, String ref) {
        return Tools.run(List.of(Tools.docker(), "run", "--rm", "--pull", "always", "--platform", platform, ref)).requireOk("docker run " + ref).out().strip();
    }

    /** The digest of what a tag points at, as skopeo reads it. */
    static Digest skopeoDigest(String ref) {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo inspect " + ref);
        return Digest.sha256(r.out().getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode rawManifest(String ref) throws Exception {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo inspect " + ref);
        return OciJson.readTree(r.out().getBytes(StandardCharsets.UTF_8), ref);
    }

    static List<String> layerDigests(JsonNode manifest) {
        List<String> out = new ArrayList<>();
        manifest.path("layers").forEach(l -> out.add(l.path("digest").asText()));
        return out;
    }

    static boolean tagExists(String ref) {
        return Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).code() == 0;
    }

    static Set<String> tags(String repo) throws Exception {
        try (RegistryClient c = registries.open(Reference.parse(reg.host() + "/" + repo), false)) {
            return new TreeSet<>(c.listTags());
        } catch (io.polyarch.store.NotFoundException e) {
            return Set.of();
        }
    }

    static JsonNode json(Path file) throws Exception {
        return OciJson.mapper().readTree(Files.readAllBytes(file));
    }

    static GitRepo app(Path dir, String config) {
        GitRepo g = GitRepo.init(dir).write("Dockerfile", APP_DOCKERFILE);
        if (config != null) g.write("polyarch.yaml", config);
        return g;
    }

    @Test
    void publishesAnIndexThatRunsOnBothPlatformsUnderEveryTagRule(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/team/app";
        GitRepo g = app(tmp.resolve("src"), """
                pipelineName: app
                destination:
                  registry:
                    repository: %s
                    tagRules: [latest, commit, commit-short, branch, semver, "{branch}-{commit-short}", {literal: stable}]
                buildArgs:
                  BASE: %s
                """.formatted(repo, base));
        String sha = g.commit("first");
        g.git("tag", "v1.4.2");
        g.git("checkout", "-q", "-b", "feature/login");
        Path out = tmp.resolve("summary.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(0, r.code(), r.toString());

        String short8 = sha.substring(0, 8);
        List<String> expected = List.of("latest", sha, short8, "feature-login", "1.4.2", "1.4", "1", "feature-login-" + short8, "stable");
        JsonNode j = json(out);
        assertTrue(j.path("ok").asBoolean());
        assertEquals(repo, j.path("repository").asText());
        List<String> got = new ArrayList<>();
        j.path("tags").forEach(t -> got.add(t.asText()));
        assertEquals(expected, got);
        Digest index = Digest.parse(j.path("index").path("digest").asText());
        for (String t : expected) assertEquals(index, skopeoDigest(repo + ":" + t), "tag " + t);

        // each platform's image: by digest in the index, under <tag>-<arch>, and it runs as that architecture with ARCH set
        assertEquals(2, j.path("images").size());
        for (JsonNode img : j.path("images")) {
            String arch = Platform.parse(img.path("platform").asText()).architecture();
            assertEquals(Digest.parse(img.path("digest").asText()), skopeoDigest(repo + ":latest-" + arch));
            assertEquals(Digest.parse(img.path("digest").asText()), skopeoDigest(repo + ":" + short8 + "-" + arch));
        }
        // as with docker push, each image's lower layers are its base's own blobs (shared in the registry), not a second compression
        JsonNode baseIndex = rawManifest(base);
        for (JsonNode img : j.path("images")) {
            String arch = Platform.parse(img.path("platform").asText()).architecture();
            String baseChild = null;
            for (JsonNode m : baseIndex.path("manifests")) {
                if (m.path("platform").path("architecture").asText().equals(arch)) baseChild = m.path("digest").asText();
            }
            List<String> baseLayers = layerDigests(rawManifest(reg.host() + "/base@" + baseChild));
            List<String> layers = layerDigests(rawManifest(repo + "@" + img.path("digest").asText()));
            assertEquals(baseLayers, layers.subList(0, baseLayers.size()), arch + " image's base layers");
        }
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":" + short8));
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":" + short8));
        JsonNode raw = OciJson.readTree(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":latest"))
                .requireOk("skopeo").out().getBytes(), "index");
        Set<String> platforms = new TreeSet<>();
        raw.path("manifests").forEach(m -> platforms.add(m.path("platform").path("architecture").asText()));
        assertEquals(Set.of("amd64", "arm64"), platforms);

        // an unchanged commit, run again: succeeds and writes nothing
        Path again = tmp.resolve("again.json");
        Cli.Result r2 = run("--source", g.dir().toString(), "--json", again.toString());
        assertEquals(0, r2.code(), r2.toString());
        assertEquals(index.toString(), json(again).path("index").path("digest").asText());
        assertEquals(0, json(again).path("tagsWritten").size(), r2.out());
        assertTrue(r2.out().contains("nothing changed"), r2.out());
    }

    @Test
    void aBuildThatFailsOnlyOnArm64LeavesTheIndexTagsWhereTheyWere(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/fails/app";
        String config = "destination: {registry: {repository: %s, tagRules: [latest, commit-short]}}\nbuildArgs: {BASE: %s}\n".formatted(repo, base);
        GitRepo g = app(tmp.resolve("src"), config);
        g.commit("good");
        assertEquals(0, run("--source", g.dir().toString(), "-q").code());
        Digest before = skopeoDigest(repo + ":latest");
        Digest amd64Before = skopeoDigest(repo + ":latest-amd64");

        g.write("Dockerfile", APP_DOCKERFILE.replace("CMD", "RUN case $(uname -m) in aarch64) echo 'this tool has no arm64 port'; exit 3;; esac\nCMD"));
        String sha = g.commit("breaks arm64");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(before, skopeoDigest(repo + ":latest"), "latest must not move");
        assertFalse(tagExists(repo + ":" + sha.substring(0, 8)), "the new commit's index tag must not exist");
        // amd64 was pushed by digest, and the summary says so; no arch tag moved either (users pull latest-amd64)
        assertFalse(tagExists(repo + ":" + sha.substring(0, 8) + "-amd64"));
        assertFalse(tagExists(repo + ":" + sha.substring(0, 8) + "-arm64"));
        assertEquals(amd64Before, skopeoDigest(repo + ":latest-amd64"), "latest-amd64 must not move either");
        String all = r.out() + r.err();
        assertTrue(all.contains("linux/arm64 failed") && all.contains("this tool has no arm64 port"), all);
        assertTrue(all.contains("no index tag was written or moved"), all);
        assertTrue(all.contains("no index published over them: linux/amd64 (by digest only)"), all);
        JsonNode j = json(out);
        assertFalse(j.path("ok").asBoolean());
        assertTrue(j.path("index").isNull());
        assertTrue(j.path("failure").asText().startsWith("linux/arm64: docker build for linux/arm64 failed"), j.toString());
    }

    @Test
    void readsTheImageFromTheEnginesSocketOrThroughTheClientWhenAContextChoosesTheEngine(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/export/app";
        GitRepo g = app(tmp.resolve("src"), null);
        g.commit("export");
        String[] args = {"--source", g.dir().toString(), "--to", repo, "--platform", "linux/amd64", "--build-arg", "BASE=" + base, "--tag-rule", "latest", "--rebuild"};
        Cli.Result direct = run(args);
        assertEquals(0, direct.code(), direct.toString());
        assertTrue((direct.out() + direct.err()).contains("image read from the engine at unix:///var/run/docker.sock"), direct.toString());
        Digest first = skopeoDigest(repo + ":latest-amd64");

        // a docker context (as Docker Desktop, rootless docker and remote engines set up) is the client's to follow
        Path config = Files.createDirectories(tmp.resolve("docker-config"));
        Tools.run(List.of(Tools.docker(), "--config", config.toString(), "context", "create", "polyarch-it", "--docker", "host=unix:///var/run/docker.sock"))
                .requireOk("docker context create");
        g.write("Dockerfile", APP_DOCKERFILE.replace("CMD", "RUN echo context > /via.txt\nCMD"));
        g.commit("through the client");
        Cli.Result viaClient = run(Map.of("DOCKER_CONFIG", config.toString(), "DOCKER_CONTEXT", "polyarch-it"), args);
        assertEquals(0, viaClient.code(), viaClient.toString());
        assertFalse((viaClient.out() + viaClient.err()).contains("image read from the engine"), viaClient.toString());
        assertNotEquals(first, skopeoDigest(repo + ":latest-amd64"), "a new image was exported and pushed");
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":latest"));
    }

    @Test
    void buildsTheWorkDirOfAMonorepoOnly(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/mono/api";
        GitRepo g = GitRepo.init(tmp.resolve("mono"))
                .write("services/api/Dockerfile", "ARG BASE\nFROM ${BASE}\nCOPY name.txt /name.txt\nCMD [\"cat\", \"/name.txt\"]\n")
                .write("services/api/name.txt", "api service\n")
                .write("services/web/Dockerfile", "FROM scratch\n")
                .write("values.yaml", """
                        pipelineName: mono-api
                        source: {github: {owner: acme, repo: mono, branch: main, connectionArn: "arn:aws:codeconnections:us-east-1:1:connection/x", triggerOnPush: true}}
                        workDir: services/api
                        destination: {registry: {repository: %s, tagRules: [latest]}}
                        buildArgs: {BASE: %s}
                        """.formatted(repo, base));
        g.commit("monorepo");
        Cli.Result r = run("--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString(), "-q");
        assertEquals(0, r.code(), r.toString());
        assertEquals("api service", dockerRun("linux/arm64", repo + ":latest"));
    }

    @Test
    void crossCompilesOnTheBuildPlatformWithoutEmulation(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/cross/app";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM --platform=$BUILDPLATFORM ${BASE} AS build
                ARG TARGETARCH
                RUN echo "compiled on $(uname -m) for ${TARGETARCH}" > /out.txt
                FROM ${BASE}
                COPY --from=build /out.txt /out.txt
                CMD ["cat", "/out.txt"]
                """);
        g.commit("cross");
        // No binfmt handlers at all: the arm64 image has no RUN on the target platform, so it still builds.
        Path noBinfmt = Files.createDirectories(tmp.resolve("binfmt"));
        Cli.Result r = run(Map.of("POLYARCH_BINFMT_DIR", noBinfmt.toString()), "--source", g.dir().toString(), "--to", repo,
                "--build-arg", "BASE=" + base, "-q");
        assertEquals(0, r.code(), r.toString());
        assertEquals("compiled on x86_64 for arm64", dockerRun("linux/arm64", repo + ":latest"));
        assertEquals("compiled on x86_64 for amd64", dockerRun("linux/amd64", repo + ":latest"));
    }

    @Test
    void withoutEmulationAForeignRunStepFailsFastAndSaysHowToFixIt(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/noemu/app";
        GitRepo g = app(tmp.resolve("src"), null);
        g.commit("x");
        // binfmt_misc mounted (its register and status files) with no handler in it
        Path noBinfmt = Files.createDirectories(tmp.resolve("binfmt"));
        Files.writeString(noBinfmt.resolve("register"), "");
        Files.writeString(noBinfmt.resolve("status"), "enabled\n");
        Cli.Result r = run(Map.of("POLYARCH_BINFMT_DIR", noBinfmt.toString()), "--source", g.dir().toString(), "--to", repo,
                "--build-arg", "BASE=" + base);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("linux/arm64") && r.err().contains("update-binfmts --enable qemu-aarch64")
                && r.err().contains("builder: {endpoints: {linux/arm64: ssh://"), r.err());
        assertEquals(Set.of(), tags("noemu/app"), "nothing may be pushed");
    }

    @Test
    void theClassicBuilderBuildsBothPlatformsInParallelWithTheRightBase(@TempDir Path tmp) throws Exception {
        // The trap: a local image under the base tag for the wrong architecture. The classic builder reuses it unless it
        // pulls, and two parallel pulls of one tag race; polyarch pins each platform's FROM to its own digest.
        Tools.run(List.of(Tools.docker(), "pull", "--platform", "linux/amd64", base)).requireOk("docker pull");
        String repo = reg.host() + "/classic/app";
        GitRepo g = app(tmp.resolve("src"), """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                builder: {type: docker, docker: {mode: legacy}}
                """.formatted(repo, base));
        g.commit("classic");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(json(out).path("images").get(0).path("builder").asText().contains("classic builder"), json(out).toString());
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":latest"));
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":latest"));
    }

    @Test
    void buildahDriver(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/buildah/app";
        GitRepo g = app(tmp.resolve("src"), null);
        g.commit("buildah");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--to", repo, "--builder", "buildah", "--build-arg", "BASE=" + base, "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(json(out).path("images").get(1).path("builder").asText().startsWith("buildah"), json(out).toString());
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":latest"));
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":latest"));
    }

    @Test
    void aSecondEngineBuildsArm64AsItsNativeBuilder(@TempDir Path tmp) throws Exception {
        try (SecondEngine arm = SecondEngine.start()) {
            String repo = reg.host() + "/remote/app";
            GitRepo g = app(tmp.resolve("src"), """
                    destination: {registry: {repository: %s, tagRules: [latest]}}
                    buildArgs: {BASE: %s}
                    builder:
                      endpoints:
                        linux/arm64: %s
                    """.formatted(repo, base, arm.host()));
            g.commit("remote");
            Path out = tmp.resolve("r.json");
            Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
            assertEquals(0, r.code(), r.toString());
            JsonNode images = json(out).path("images");
            assertFalse(images.get(0).path("builder").asText().contains(arm.host()), images.toString());
            assertTrue(images.get(1).path("builder").asText().contains(arm.host()), images.toString());
            // the second engine did the arm64 build: its build cache has content, and it never built amd64
            String df = Tools.run(List.of(Tools.docker(), "system", "df", "--format", "{{.Type}} {{.TotalCount}}"), null,
                    Map.of("DOCKER_HOST", arm.host()), 60).requireOk("docker system df").out();
            assertFalse(df.contains("Build Cache 0"), df);
            assertEquals("ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":latest"));
        }
    }

    @Test
    void publishesToAnOciLayoutDirectory(@TempDir Path tmp) throws Exception {
        GitRepo g = app(tmp.resolve("src"), null);
        g.commit("layout");
        Path dir = tmp.resolve("out");
        // without arch tags: oci-image-tool matches --ref names by prefix, and latest-amd64 would make "latest" ambiguous to it
        Cli.Result r = run("--source", g.dir().toString(), "--to", "oci:" + dir, "--build-arg", "BASE=" + base, "--tag-rule", "latest",
                "--no-arch-tags", "-q");
        assertEquals(0, r.code(), r.toString());
        Tools.run(List.of("oci-image-tool", "validate", "--type", "image", "--ref", "name=latest", dir.toString())).requireOk("oci-image-tool validate");
        JsonNode raw = OciJson.readTree(Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + dir + ":latest")).requireOk("skopeo").out().getBytes(), "index");
        assertEquals(2, raw.path("manifests").size());
        assertEquals("application/vnd.oci.image.index.v1+json", raw.path("mediaType").asText());
        Cli.Result inspect = Cli.run("inspect", "oci:" + dir + ":latest");
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("ok (linux/arm64)") && inspect.out().contains("ok (linux/amd64)"), inspect.out());
    }

    @Test
    void configAndUsageErrorsExitTwoAndNameTheProblem(@TempDir Path tmp) throws Exception {
        GitRepo g = app(tmp.resolve("src"), """
                destination:
                  registry:
                    repository: %s/x
                    tagRule: [latest]
                """.formatted(reg.host()));
        g.commit("typo");
        Cli.Result typo = run("--source", g.dir().toString());
        assertEquals(2, typo.code(), typo.toString());
        assertTrue(typo.err().contains("polyarch.yaml:4:5: destination.registry.tagRule: unknown key 'tagRule'; did you mean 'tagRules'?"), typo.err());

        g.write("polyarch.yaml", "destination:\n  ecr:\n    repoName: my-app\n    exists: true\n").commit("ecr");
        Cli.Result ecr = run("--source", g.dir().toString());
        assertEquals(2, ecr.code(), ecr.toString());
        // no region and no credentials on this machine: named, before anything is built
        assertTrue(ecr.err().contains("polyarch.yaml:3:15") && ecr.err().contains("destination.ecr 'my-app'")
                && (ecr.err().contains("no AWS region") || ecr.err().contains("no usable AWS credentials")), ecr.err());

        g.write("polyarch.yaml", "platforms: [linux/amd64]\n").commit("no destination");
        Cli.Result none = run("--source", g.dir().toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no destination"), none.err());

        Cli.Result badPlatform = run("--source", g.dir().toString(), "--to", reg.host() + "/x", "--platform", "linux/amd64,linux/sparc");
        assertEquals(2, badPlatform.code());
        assertTrue(badPlatform.err().contains("--platform: unknown architecture 'sparc'"), badPlatform.err());

        Cli.Result target = run("--source", g.dir().toString(), "--to", reg.host() + "/x", "--target", "nope");
        assertEquals(2, target.code());
        assertTrue(target.err().contains("target 'nope' is not a stage"), target.err());

        Cli.Result workdir = run("--source", g.dir().toString(), "--to", reg.host() + "/x", "--workdir", "missing/dir");
        assertEquals(2, workdir.code());
        assertTrue(workdir.err().contains("workDir 'missing/dir' is not a directory"), workdir.err());

        Files.createDirectories(tmp.resolve("plain"));
        Cli.Result notGit = run("--source", tmp.resolve("plain").toString(), "--to", reg.host() + "/x");
        assertEquals(2, notGit.code());
        assertTrue(notGit.err().contains("is not inside a Git repository"), notGit.err());

        Cli.Result badUrl = run("--source", "file://" + tmp.resolve("nothing-here.git"), "--to", reg.host() + "/x");
        assertEquals(2, badUrl.code());
        assertTrue(badUrl.err().contains("cannot clone"), badUrl.err());

        Cli.Result missingConfig = run("--source", g.dir().toString(), "-c", tmp.resolve("nope.yaml").toString());
        assertEquals(2, missingConfig.code());
        assertTrue(missingConfig.err().contains("nope.yaml: no such config file"), missingConfig.err());
        assertEquals(Set.of(), tags("x"), "nothing may be pushed by a run that fails on its input");
    }

    @Test
    void publishesToARegistryWithBasicAuthAndNeverPrintsThePassword(@TempDir Path tmp) throws Exception {
        try (TestRegistry secured = TestRegistry.htpasswd()) {
            String repo = secured.host() + "/private/app";
            GitRepo g = app(tmp.resolve("src"), null);
            g.commit("auth");
            Path out = tmp.resolve("r.json");
            String[] args = {"--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "--json", out.toString()};

            Path none = Files.createDirectories(tmp.resolve("no-docker-config"));
            Cli.Result anonymous = run(Map.of("REGISTRY_AUTH_FILE", "", "DOCKER_CONFIG", none.toString()), args);
            assertEquals(1, anonymous.code(), anonymous.toString());
            // refused before anything is built, with what to do about it
            assertTrue(anonymous.err().contains("nothing was built") && anonymous.err().contains("REGISTRY_AUTH_FILE"), anonymous.toString());
            assertFalse(anonymous.err().contains("[linux/amd64] building"), anonymous.err());

            String auth = java.util.Base64.getEncoder().encodeToString((TestRegistry.USER + ":" + TestRegistry.PASSWORD).getBytes());
            Path authFile = tmp.resolve("auth.json");
            Files.writeString(authFile, "{\"auths\":{\"" + secured.host() + "\":{\"auth\":\"" + auth + "\"}}}");
            Cli.Result r = run(Map.of("REGISTRY_AUTH_FILE", authFile.toString(), "DOCKER_CONFIG", none.toString()), args);
            assertEquals(0, r.code(), r.toString());
            String everything = r.out() + r.err() + Files.readString(out) + anonymous.out() + anonymous.err();
            assertFalse(everything.contains(TestRegistry.PASSWORD), "the password leaked");
            assertFalse(everything.contains(auth), "the auth string leaked");
            var check = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "--creds", TestRegistry.USER + ":" + TestRegistry.PASSWORD,
                    "docker://" + repo + ":latest")).requireOk("skopeo inspect with credentials");
            assertEquals(2, OciJson.readTree(check.out().getBytes(), "index").path("manifests").size());
        }
    }

    @Test
    void aFailingArm64TestBlocksTheIndexAndShowsItsOutput(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/tested/app";
        GitRepo g = app(tmp.resolve("src"), """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                test:
                  commands:
                    - cat /built.txt
                    - "case $(uname -m) in aarch64) echo 'arm64: expected 42, got 41'; exit 4;; esac"
                  timeout: 120
                """.formatted(repo, base));
        g.commit("tests");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertFalse(tagExists(repo + ":latest"), "no index after a failed test");
        assertFalse(r.out().contains("linux/arm64 (by digest only)"), "the arm64 image that failed its test is not pushed: " + r.out());
        assertFalse(tagExists(repo + ":latest-amd64"), "no arch tag from a failed run");
        assertTrue(r.out().contains("no index published over them: linux/amd64 (by digest only)"), "amd64 passed its tests and was pushed (fastFail is off): " + r.out());
        assertTrue(r.out().contains("linux/arm64 failed: test `case") && r.out().contains("arm64: expected 42, got 41"), r.out());
        // the test ran in the image under emulation: the first command printed what the build wrote
        assertTrue(r.err().contains("[linux/arm64] test: ARCH=arm64 machine=aarch64"), r.err());
    }

    @Test
    void sociV2IsPublishedWithTheIndexAndArchTagsNameTheAnnotatedImages(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/lazy/app";
        GitRepo g = app(tmp.resolve("src"), """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                soci: {minLayerSize: 1KiB, spanSize: 64KiB}
                """.formatted(repo, base));
        g.commit("lazy loading");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        JsonNode j = json(out);
        RegistryClient c = registries.open(Reference.parse(repo), false);
        ImageIndex index = (ImageIndex) c.getManifest("latest").orElseThrow().parse();
        assertEquals(MediaType.OCI_INDEX, index.mediaType());
        assertEquals(4, index.manifests().size(), "two images and their two SOCI indexes");
        for (JsonNode img : j.path("images")) {
            Platform p = Platform.parse(img.path("platform").asText());
            Digest image = Digest.parse(img.path("digest").asText());
            Digest soci = Digest.parse(img.path("sociIndex").asText());
            Descriptor listed = index.manifests().stream().filter(d -> d.artifactType() == null && d.platform().matches(p)).findFirst().orElseThrow();
            assertEquals(image, listed.digest());
            ImageManifest m = (ImageManifest) c.getManifest(image.toString()).orElseThrow().parse();
            assertEquals(soci.toString(), m.annotations().get("com.amazon.soci.index-digest"));
            Descriptor sociEntry = index.manifests().stream().filter(d -> "application/vnd.amazon.soci.index.v2+json".equals(d.artifactType())
                    && d.platform().matches(p)).findFirst().orElseThrow();
            assertEquals(soci, sociEntry.digest());
            assertEquals(image.toString(), sociEntry.annotations().get("com.amazon.soci.image-manifest-digest"));
            assertEquals(image, skopeoDigest(repo + ":latest-" + p.architecture()), "the arch tag names the annotated image");
            ImageManifest sociManifest = (ImageManifest) c.getManifest(soci.toString()).orElseThrow().parse();
            assertFalse(sociManifest.layers().isEmpty());
            for (Descriptor z : sociManifest.layers()) {
                String layer = z.annotations().get("com.amazon.soci.image-layer-digest");
                assertTrue(m.layers().stream().anyMatch(l -> l.digest().toString().equals(layer)));
                assertEquals("65536", z.annotations().get("com.amazon.soci.span-size"));
            }
        }
        assertTrue(r.out().contains("SOCI index sha256:"), r.out());
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":latest"));
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":latest"));
        // the plan shows the SOCI jobs between push and publish
        Cli.Result plan = Cli.run("plan", "--source", g.dir().toString());
        assertTrue(plan.out().contains("soci linux/arm64"), plan.out());
        // unchanged: the same index, nothing written
        Path again = tmp.resolve("again.json");
        Cli.Result r2 = run("--source", g.dir().toString(), "--json", again.toString());
        assertEquals(0, r2.code(), r2.toString());
        assertEquals(j.path("index").path("digest").asText(), json(again).path("index").path("digest").asText());
        assertEquals(0, json(again).path("tagsWritten").size(), r2.out());
    }

    @Test
    void sociV1PushesReferrersAndLeavesTheImagesAsBuilt(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/lazy/v1";
        GitRepo g = app(tmp.resolve("src"), """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                soci: {format: v1, minLayerSize: 1KiB}
                """.formatted(repo, base));
        g.commit("v1");
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        RegistryClient c = registries.open(Reference.parse(repo), false);
        ImageIndex index = (ImageIndex) c.getManifest("latest").orElseThrow().parse();
        assertEquals(2, index.manifests().size());
        for (JsonNode img : json(out).path("images")) {
            Digest image = Digest.parse(img.path("digest").asText());
            var refs = c.referrers(image);
            assertEquals(1, refs.size(), "one SOCI index per image, found through the referrers tag fallback");
            assertEquals(img.path("sociIndex").asText(), refs.get(0).digest().toString());
            assertEquals("application/vnd.amazon.soci.index.v1+json", refs.get(0).artifactType());
        }
    }

    @Test
    void aTestWithIgnoreFailureDoesNotBlockPublishing(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/advisory/app";
        GitRepo g = app(tmp.resolve("src"), """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                test: {commands: ["case $(uname -m) in aarch64) echo advisory only; exit 6;; esac"], ignoreFailure: true}
                """.formatted(repo, base));
        g.commit("advisory test");
        Cli.Result r = run("--source", g.dir().toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(tagExists(repo + ":latest"));
        assertTrue(r.out().contains("test linux/arm64 failed, and has ignoreFailure"), r.out());
    }

    @Test
    void fastFailCancelsTheOtherPlatforms(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/fastfail/app";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM ${BASE}
                RUN case $(uname -m) in aarch64) echo 'no arm64 port'; exit 3;; esac
                RUN echo %d; i=0; while [ $i -lt 20000000 ]; do i=$((i+1)); done; echo done > /slow.txt
                """.formatted(System.nanoTime())).write("polyarch.yaml", """
                destination: {registry: {repository: %s, tagRules: [latest]}}
                buildArgs: {BASE: %s}
                fastFail: true
                """.formatted(repo, base));
        g.commit("fast fail");
        Path out = tmp.resolve("r.json");
        long t0 = System.nanoTime();
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertEquals(1, r.code(), r.toString());
        JsonNode images = json(out).path("images");
        assertEquals("failed", images.get(1).path("state").asText(), images.toString());
        assertEquals("cancelled", images.get(0).path("state").asText(), images.toString());
        assertFalse(tagExists(repo + ":latest-amd64"));
        assertFalse(tagExists(repo + ":latest"));
        assertTrue(seconds < 60, "cancelled, not waited for: " + seconds + " s");
    }

    @Test
    void aTestThatHangsTimesOut(@TempDir Path tmp) throws Exception {
        GitRepo g = app(tmp.resolve("src"), "buildArgs: {BASE: %s}\ntest: {commands: [\"while true; do :; done\"], timeout: 2}\n".formatted(base));
        g.commit("hang");
        Cli.Result r = run("--source", g.dir().toString(), "--to", reg.host() + "/hang/app", "--platform", "linux/amd64", "-q");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("timed out after 2 s"), r.out());
    }

    static final String MATRIX_DOCKERFILE = """
            ARG BASE
            FROM ${BASE}
            ARG VERSION
            ARG ARCH
            RUN echo "VERSION=${VERSION} ARCH=${ARCH} machine=$(uname -m)" > /built.txt
            CMD ["cat", "/built.txt"]
            """;

    @Test
    void aMatrixPublishesOneIndexPerVariantAndAFailingTestBlocksOnlyItsVariant(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/matrix/app";
        String config = """
                destination: {registry: {repository: %s, tagRules: ["{VERSION}", "{VERSION}-{commit-short}"]}}
                buildArgs: {BASE: %s}
                matrix:
                  VERSION: ["1.0", "2.0"]
                """.formatted(repo, base);
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", MATRIX_DOCKERFILE).write("polyarch.yaml", config);
        g.commit("matrix");

        Cli.Result plan = Cli.run("plan", "--source", g.dir().toString(), "--json");
        assertEquals(0, plan.code(), plan.toString());
        JsonNode jobs = OciJson.readTree(plan.out().getBytes(), "plan").path("jobs");
        assertEquals(2 * 2 * 2 + 2, jobs.size(), plan.out());
        JsonNode publish = jobs.get(jobs.size() - 1);
        assertEquals("publish", publish.path("kind").asText());
        assertEquals(2, publish.path("needs").size());

        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toString(), "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        JsonNode variants = json(out).path("variants");
        assertEquals(2, variants.size());
        for (JsonNode v : variants) assertEquals(Digest.parse(v.path("index").path("digest").asText()), skopeoDigest(repo + ":" + v.path("vars").path("VERSION").asText()));
        assertEquals("VERSION=1.0 ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":1.0"));
        assertEquals("VERSION=1.0 ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":1.0"));
        assertEquals("VERSION=2.0 ARCH=amd64 machine=x86_64", dockerRun("linux/amd64", repo + ":2.0"));
        assertEquals("VERSION=2.0 ARCH=arm64 machine=aarch64", dockerRun("linux/arm64", repo + ":2.0"));
        Digest v2Before = skopeoDigest(repo + ":2.0");

        // a test that fails only for 2.0 on arm64: 1.0 still publishes, 2.0 keeps its old index
        g.write("Dockerfile", MATRIX_DOCKERFILE + "LABEL rev=2\n").write("polyarch.yaml", config + """
                test:
                  commands: ["case \\"$(cat /built.txt)\\" in *'VERSION=2.0 ARCH=arm64'*) echo 'v2 is broken on arm64'; exit 5;; esac"]
                """);
        String sha = g.commit("tests");
        Path out2 = tmp.resolve("r2.json");
        Cli.Result r2 = run("--source", g.dir().toString(), "--json", out2.toString());
        assertEquals(1, r2.code(), r2.toString());
        assertTrue(tagExists(repo + ":1.0-" + sha.substring(0, 8)), "the passing variant publishes");
        assertFalse(tagExists(repo + ":2.0-" + sha.substring(0, 8)), "the failing variant does not");
        assertEquals(v2Before, skopeoDigest(repo + ":2.0"), "2.0 keeps its previous index");
        assertTrue(r2.out().contains("VERSION=2.0 linux/arm64 failed: test") && r2.out().contains("v2 is broken on arm64"), r2.out());
        JsonNode v2 = json(out2).path("variants");
        assertTrue(v2.get(0).path("ok").asBoolean());
        assertFalse(v2.get(1).path("ok").asBoolean());
        Map<String, String> states = new java.util.HashMap<>();
        json(out2).path("jobs").forEach(j -> states.put(j.path("id").asText(), j.path("state").asText()));
        assertEquals("failed", states.get("test VERSION=2.0 linux/arm64"), states.toString());
        assertEquals("skipped", states.get("push VERSION=2.0 linux/arm64"), states.toString());
        assertEquals("skipped", states.get("publish VERSION=2.0"), states.toString());
        assertEquals("succeeded", states.get("publish VERSION=1.0"), states.toString());
    }

    @Test
    void twoVariantsOnOneTagIsAConfigError(@TempDir Path tmp) throws Exception {
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", MATRIX_DOCKERFILE).write("polyarch.yaml", """
                destination: {registry: {repository: %s/clash, tagRules: [latest, "{VERSION}"]}}
                matrix:
                  VERSION: ["1.0", "2.0"]
                """.formatted(reg.host()));
        g.commit("clash");
        Cli.Result r = run("--source", g.dir().toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("variants VERSION=1.0 and VERSION=2.0 would both publish tag 'latest'; give latest to one variant"), r.err());
        Cli.Result plan = Cli.run("plan", "--source", g.dir().toString());
        assertEquals(2, plan.code(), plan.toString());
    }

    @Test
    void clonesAGitUrlAtARef(@TempDir Path tmp) throws Exception {
        GitRepo g = app(tmp.resolve("src"), null);
        String first = g.commit("one");
        g.write("Dockerfile", APP_DOCKERFILE.replace("CMD", "RUN echo second > /second\nCMD"));
        g.commit("two");
        String repo = reg.host() + "/cloned/app";
        Path out = tmp.resolve("r.json");
        Cli.Result r = run("--source", g.dir().toUri().toString(), "--ref", first, "--to", repo, "--build-arg", "BASE=" + base,
                "--platform", "linux/amd64", "--tag-rule", "commit", "--json", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of(first), List.of(json(out).path("tags").get(0).asText()));
        assertEquals(1, json(out).path("images").size());
    }
}
