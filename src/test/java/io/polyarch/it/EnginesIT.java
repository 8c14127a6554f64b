package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.build.PinnedDockerfile;
import io.polyarch.oci.OciJson;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.Engine;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of {@code polyarch run} a user depends on, on every engine of the machine: Debian 12's Docker 20.10, and
 * Docker 26.1.5 with buildx 0.13.1 on the containerd image store and on the classic store (scripts/engines.sh).
 * Each published index is read by skopeo and run by that engine's docker client on both architectures.
 */
class EnginesIT {
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

    static List<Engine> engines() {
        return Engine.all();
    }

    @Test
    void theModernEnginesAreSetUp() {
        // scripts/test.sh (and so CI) runs scripts/engines.sh as root; without them this class would test 20.10 only
        assertTrue(Engine.modernAvailable() || !"0".equals(Tools.run(List.of("id", "-u")).out().strip()),
                "as root, scripts/engines.sh must have started the Docker 26 engines: " + Engine.all());
    }

    private static Cli.Result run(Engine e, String... args) {
        List<String> a = new ArrayList<>(List.of("run"));
        a.addAll(List.of(args));
        return Cli.run(e.env(), a.toArray(String[]::new));
    }

    private static JsonNode raw(String ref) throws Exception {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo inspect " + ref);
        return OciJson.readTree(r.out().getBytes(StandardCharsets.UTF_8), ref);
    }

    private static boolean exists(String ref) {
        return Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).code() == 0;
    }

    private static String dockerRun(Engine e, String platform, String ref) {
        return e.run(List.of("run", "--rm", "--pull", "always", "--platform", platform, ref), 300).requireOk("docker run " + ref).out().strip();
    }

    /** The index has exactly the two images, by platform, and nothing else (no attestation entries). */
    private static void assertTwoPlatformIndex(String ref) throws Exception {
        JsonNode idx = raw(ref);
        List<String> platforms = new ArrayList<>();
        idx.path("manifests").forEach(m -> platforms.add(m.path("platform").path("os").asText() + "/" + m.path("platform").path("architecture").asText()));
        assertEquals(List.of("linux/amd64", "linux/arm64"), platforms, ref + ": " + idx);
        idx.path("manifests").forEach(m -> assertFalse(m.path("annotations").has("vnd.docker.reference.type"), "no attestation entry in " + idx));
    }

    private static String name(Engine e) {
        return e.name().replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    }

    /**
     * Two platforms' pinned Dockerfiles have the same size and, written in one tick of the kernel's file clock, the
     * same mtime; built one after the other from one context, each build must get its own (Docker 20.10's client
     * gave the second build the first's when both were named Dockerfile: the arm64 image came out on the amd64 base).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void twoPinnedDockerfilesOfOneSizeAndMtimeEachReachTheirBuild(Engine e, @TempDir Path tmp) throws Exception {
        Path context = Files.createDirectories(tmp.resolve("context"));
        Files.writeString(context.resolve("f"), "same context\n");
        FileTime mtime = FileTime.fromMillis(1_767_225_600_000L);
        Map<String, String> env = new HashMap<>(e.env());
        env.put("DOCKER_BUILDKIT", "1");
        String tag = "polyarch-build/pinned-" + name(e);
        for (String label : List.of("aaa", "bbb")) {
            Path scratch = Files.createDirectories(tmp.resolve("scratch-" + label));
            Path df = PinnedDockerfile.write(scratch, "FROM scratch\nCOPY f /f\nLABEL pinned=" + label + "\n", null);
            Files.setLastModifiedTime(df, mtime);
            List<String> cmd = new ArrayList<>(List.of(e.docker(), "build", "-q", "-f", df.toString(), "-t", tag + ":" + label, context.toString()));
            Tools.run(cmd, null, env, 300).requireOk("docker build " + df);
        }
        for (String label : List.of("aaa", "bbb")) {
            String got = e.run(List.of("image", "inspect", "-f", "{{index .Config.Labels \"pinned\"}}", tag + ":" + label), 60)
                    .requireOk("docker image inspect").out().strip();
            assertEquals(label, got, "the image tagged " + label + " was built from its own Dockerfile");
        }
        e.run(List.of("rmi", "-f", tag + ":aaa", tag + ":bbb"), 60);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void archBuildArgAndArchTagsAndEachImageRunsAsItsArchitecture(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/app";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE);
        g.commit("app");
        Cli.Result r = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "--json", tmp.resolve("r.json").toString(), "-q");
        assertEquals(0, r.code(), r.toString());
        assertTwoPlatformIndex(repo + ":latest");
        assertEquals("ARCH=amd64 machine=x86_64", dockerRun(e, "linux/amd64", repo + ":latest"));
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun(e, "linux/arm64", repo + ":latest"));
        JsonNode json = OciJson.mapper().readTree(Files.readAllBytes(tmp.resolve("r.json")));
        String clientVersion = e.run(List.of("version", "--format", "{{.Client.Version}}"), 60).out().strip();
        for (JsonNode img : json.path("images")) {
            assertTrue(img.path("builder").asText().startsWith("docker " + clientVersion), "the client first on the run's PATH builds: " + img);
            assertEquals(e.name().contains("containerd"), img.path("builder").asText().contains("containerd store"),
                    "the containerd image store is recognised (BuildKit then streams the image, no load and no docker save): " + img);
            String arch = img.path("platform").asText().substring("linux/".length());
            String digest = img.path("digest").asText();
            assertEquals(digest, io.polyarch.oci.Digest.sha256(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw",
                    "docker://" + repo + ":latest-" + arch)).out().getBytes(StandardCharsets.UTF_8)).toString(), "latest-" + arch + " names the child");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFailingArm64BuildPublishesNothing(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/failing";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM ${BASE}
                ARG ARCH
                RUN test "$ARCH" != arm64
                """);
        g.commit("fails on arm64");
        Cli.Result r = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "-q");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("linux/arm64 failed"), r.out());
        assertFalse(exists(repo + ":latest"), "no index tag");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aCrossStageOnTheBuildPlatformAndATestStage(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/cross";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM --platform=$BUILDPLATFORM ${BASE} AS build
                ARG TARGETARCH
                RUN echo "compiled on $(uname -m) for ${TARGETARCH}" > /out.txt
                FROM ${BASE}
                COPY --from=build /out.txt /out.txt
                CMD ["cat", "/out.txt"]
                """).write("polyarch.yaml", "test: {commands: [\"grep -q compiled /out.txt\", \"test $(uname -m) = x86_64 -o $(uname -m) = aarch64\"]}\n");
        g.commit("cross");
        Cli.Result r = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "-q");
        assertEquals(0, r.code(), r.toString());
        assertTwoPlatformIndex(repo + ":latest");
        assertEquals("compiled on x86_64 for arm64", dockerRun(e, "linux/arm64", repo + ":latest"));
        assertEquals("compiled on x86_64 for amd64", dockerRun(e, "linux/amd64", repo + ":latest"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aMatrixPublishesAnIndexPerVariant(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/matrix";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM ${BASE}
                ARG FLAVOR
                RUN echo "$FLAVOR $(uname -m)" > /f.txt
                CMD ["cat", "/f.txt"]
                """).write("polyarch.yaml", "matrix: {FLAVOR: [slim, full]}\ntagRules: ['{FLAVOR}']\n");
        g.commit("matrix");
        Cli.Result r = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "-q");
        assertEquals(0, r.code(), r.toString());
        for (String f : List.of("slim", "full")) {
            assertTwoPlatformIndex(repo + ":" + f);
            assertEquals(f + " aarch64", dockerRun(e, "linux/arm64", repo + ":" + f));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aSecondRunOnAFreshEngineReusesTheImagesByBuildKey(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/reuse";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("app/Dockerfile", RunIT.APP_DOCKERFILE).write("polyarch.yaml", "workDir: app\n");
        g.commit("app");
        assertEquals(0, run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "-q").code());
        String first = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":latest")).out();
        e.forget(reg.host());
        g.write("README.md", "docs only, outside the context\n");
        g.commit("docs");
        Cli.Result again = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "--json", tmp.resolve("r.json").toString(), "-q");
        assertEquals(0, again.code(), again.toString());
        JsonNode json = OciJson.mapper().readTree(Files.readAllBytes(tmp.resolve("r.json")));
        for (JsonNode img : json.path("images")) assertEquals("reused", img.path("state").asText(), json.toString());
        JsonNode before = OciJson.mapper().readTree(first);
        JsonNode after = OciJson.mapper().readTree(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":latest")).out());
        assertEquals(before.path("manifests"), after.path("manifests"), "the same images as before");
        assertEquals(json.path("commit").asText(), after.path("annotations").path("org.opencontainers.image.revision").asText(),
                "a new index, whose revision is the new commit");
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun(e, "linux/arm64", repo + ":latest"));
    }

    /**
     * The docker client is asked who it is (a process start or three before any build) only the first time: the next
     * run finds its answers in the user's cache, asks the engine on its socket, and picks the same builder. The
     * client here is a wrapper on PATH that records each call and runs the engine's real client.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aClientSeenBeforeIsNotAskedAgainAndTheSameBuilderBuilds(Engine e, @TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path calls = tmp.resolve("calls");
        Path wrapper = bin.resolve("docker");
        Files.writeString(wrapper, "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec " + e.docker() + " \"$@\"\n");
        assertTrue(wrapper.toFile().setExecutable(true));
        Map<String, String> env = new HashMap<>(e.env());
        env.put("PATH", bin + ":" + e.env().getOrDefault("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
        env.put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE);
        g.commit("app");
        List<String> builders = new ArrayList<>();
        List<List<String>> asked = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Files.deleteIfExists(calls);
            // --rebuild: the second run would reuse the first one's images by build key, and build nothing
            Cli.Result r = Cli.run(env, "run", "--no-publish", "--rebuild", "--source", g.dir().toString(), "--to", reg.host() + "/eng/" + name(e) + "/asked",
                    "--build-arg", "BASE=" + base, "--json", tmp.resolve("r.json").toString(), "-q");
            assertEquals(0, r.code(), r.toString());
            JsonNode json = OciJson.mapper().readTree(Files.readAllBytes(tmp.resolve("r.json")));
            builders.add(json.path("images").path(0).path("builder").asText() + " | " + json.path("images").path(1).path("builder").asText());
            asked.add(Files.readAllLines(calls).stream().filter(c -> c.startsWith("version") || c.startsWith("info") || c.startsWith("buildx version")).toList());
            assertTrue(Files.readAllLines(calls).stream().anyMatch(c -> c.startsWith("build") || c.startsWith("buildx build")), "the wrapper builds: " + Files.readAllLines(calls));
        }
        assertTrue(asked.get(0).stream().anyMatch(c -> c.startsWith("version")), "asked the first time: " + asked.get(0));
        assertEquals(List.of(), asked.get(1), "not asked the second time");
        assertEquals(builders.get(0), builders.get(1), "the same builder both times");
        assertTrue(builders.get(1).startsWith("docker " + e.run(List.of("version", "--format", "{{.Client.Version}}"), 60).out().strip()), builders.toString());
        assertEquals(e.name().contains("containerd"), builders.get(1).contains("containerd store"), builders.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void sociV2IndexesArePublishedWithTheImages(Engine e, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/eng/" + name(e) + "/soci";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE)
                .write("polyarch.yaml", "soci: {minLayerSize: 1KiB, spanSize: 64KiB}\n");
        g.commit("soci");
        Cli.Result r = run(e, "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "--json", tmp.resolve("r.json").toString(), "-q");
        assertEquals(0, r.code(), r.toString());
        JsonNode idx = raw(repo + ":latest");
        Map<String, Integer> kinds = new HashMap<>();
        idx.path("manifests").forEach(m -> kinds.merge(m.path("artifactType").asText("image"), 1, Integer::sum));
        assertEquals(2, kinds.getOrDefault("image", 0), idx.toString());
        assertEquals(2, kinds.getOrDefault("application/vnd.amazon.soci.index.v2+json", 0), idx.toString());
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun(e, "linux/arm64", repo + ":latest"));
    }

    /**
     * {@code builder.endpoints: {arm64: buildx:NAME}}: a buildx builder by name, here the docker driver of a docker
     * context that points at the Docker 26 engine (buildx lists it under the context's name); amd64 stays on the
     * default engine. Other drivers (docker-container, kubernetes, remote) cannot run on this machine (their BuildKit
     * image comes from Docker Hub).
     */
    @Test
    void aPlatformBuildsOnABuildxBuilderNamedInTheConfig(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Engine.modernAvailable(), "needs scripts/engines.sh");
        Engine d26 = Engine.all().get(1);
        Path config = Files.createDirectories(tmp.resolve("docker-config/cli-plugins"));
        Path plugin = Path.of(d26.env().get("DOCKER_CONFIG"), "cli-plugins", "docker-buildx").toRealPath();
        Files.createSymbolicLink(config.resolve("docker-buildx"), plugin);
        Map<String, String> env = new HashMap<>(Map.of("DOCKER_CONFIG", config.getParent().toString(), "PATH", d26.env().get("PATH")));
        Tools.run(List.of(d26.docker(), "context", "create", "pa-arm-host", "--docker", "host=" + d26.env().get("DOCKER_HOST")), null, env, 60)
                .requireOk("docker context create");
        String ls = Tools.run(List.of(d26.docker(), "buildx", "ls"), null, env, 60).requireOk("buildx ls").out();
        assertTrue(ls.contains("pa-arm-host"), "buildx lists the context's builder: " + ls);

        String repo = reg.host() + "/eng/buildx-endpoint/app";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE)
                .write("polyarch.yaml", "builder: {endpoints: {arm64: 'buildx:pa-arm-host'}}\n");
        g.commit("app");
        List<String> args = new ArrayList<>(List.of("run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base,
                "--json", tmp.resolve("r.json").toString(), "-q"));
        Cli.Result r = Cli.run(env, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        JsonNode json = OciJson.mapper().readTree(Files.readAllBytes(tmp.resolve("r.json")));
        for (JsonNode img : json.path("images")) {
            String builder = img.path("builder").asText();
            if (img.path("platform").asText().equals("linux/arm64")) {
                assertTrue(builder.contains("engine 26.1.5") && builder.contains("buildx:pa-arm-host"), builder);
            } else {
                assertTrue(builder.contains("engine 20.10"), builder);
            }
        }
        assertTwoPlatformIndex(repo + ":latest");
        assertEquals("ARCH=arm64 machine=aarch64", dockerRun(Engine.all().get(0), "linux/arm64", repo + ":latest"));

        g.write("polyarch.yaml", "builder: {endpoints: {arm64: 'buildx:no-such-builder'}}\n");
        g.commit("unknown builder");
        Cli.Result unknown = Cli.run(env, args.toArray(String[]::new));
        assertEquals(1, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("buildx builder 'no-such-builder'") || unknown.out().contains("buildx builder 'no-such-builder'"), unknown.toString());
        assertFalse(unknown.err().contains("Exception"), unknown.err());
    }

    @Test
    void jsonToStandardOutputSaysWhyWhenTheDestinationCannotBeUsed(@TempDir Path tmp) throws Exception {
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE);
        String sha = g.commit("app");
        Cli.Result r = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", "127.0.0.1:1/nowhere", "--build-arg", "BASE=" + base, "--json", "-");
        assertEquals(1, r.code(), r.toString());
        JsonNode json = OciJson.mapper().readTree(r.out());
        assertFalse(json.path("ok").asBoolean(true));
        assertTrue(json.path("failure").asText().contains("cannot use the destination"), json.toString());
        assertEquals(sha, json.path("commit").asText());
    }
}
