package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Cli;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --secret}, {@code --no-cache} and {@code --network} on docker (BuildKit) and buildah: a build reads the secret,
 * and the secret is in no layer of the published images, no log line, no summary and no provenance; the classic
 * builder refuses what it cannot do, with exit 2.
 */
class BuildFeaturesIT {
    static final String SECRET = "s3cr3t-Value-that-must-not-leak";
    static TestRegistry reg;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        base = TestImages.publishBase(reg);
    }

    @AfterAll
    static void stop() {
        reg.close();
    }

    static GitRepo app(Path dir, String builder) {
        // the Dockerfile knows only the secret's hash: the build proves it read the secret without writing it anywhere
        String hash = io.polyarch.oci.Digest.sha256(SECRET.getBytes(StandardCharsets.UTF_8)).hex();
        GitRepo g = GitRepo.init(dir).write("Dockerfile", """
                ARG BASE
                FROM ${BASE}
                RUN --mount=type=secret,id=token sh -c 'test "$(sha256sum /run/secrets/token | cut -d" " -f1)" = "%s" && echo seen > /secret-was-there'
                """.formatted(hash)).write(".dockerignore", ".git\n").write("polyarch.yaml", "builder: " + builder + "\n");
        g.commit("secret");
        return g;
    }

    /** Every byte of every layer of every image under the tag, uncompressed, as text. */
    static String allLayers(String ref, Path dir) throws Exception {
        Tools.run(List.of("skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + ref, "dir:" + dir)).requireOk("skopeo copy");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                byte[] b = Files.readAllBytes(f);
                if (b.length > 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
                    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
                        in.transferTo(all);
                    }
                } else {
                    all.write(b);
                }
            }
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "buildah"})
    void aSecretReachesTheBuildAndNothingElse(String builder, @TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/features/secret-" + builder;
        GitRepo g = app(tmp.resolve("src"), builder);
        Path json = tmp.resolve("run.json");
        var r = Cli.run(Map.of("TOKEN_FOR_BUILD", SECRET), "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base,
                "--secret", "id=token,env=TOKEN_FOR_BUILD", "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        String everything = r.out() + r.err() + Files.readString(json) + allLayers(repo + ":latest", Files.createDirectories(tmp.resolve("pulled")));
        assertTrue(everything.contains("secret-was-there"), "the build saw the secret (its RUN step checked it)");
        assertFalse(everything.contains(SECRET), "the secret is in no layer, config, log, summary or provenance");
        var att = Tools.run(List.of("skopeo", "list-tags", "--tls-verify=false", "docker://" + repo)).out();
        assertTrue(att.contains(".att"), "provenance written: " + att);

        // the same from a file; and a second run with --no-cache builds again although the build key is the same
        Path file = tmp.resolve("token.txt");
        Files.writeString(file, SECRET);
        var again = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base,
                "--secret", "id=token,src=" + file, "--no-cache", "--network", builder.equals("docker") ? "none" : "host", "--json", json.toString());
        assertEquals(0, again.code(), again.toString());
        JsonNode j = OciJson.mapper().readTree(Files.readAllBytes(json));
        for (JsonNode img : j.path("images")) assertEquals("pushed", img.path("state").asText(), "--no-cache rebuilds: " + j);
        assertFalse((again.out() + again.err()).contains(SECRET));
    }

    @Test
    void aSecretNamedInTheConfigFile(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/features/secret-config";
        GitRepo g = app(tmp.resolve("src"), "docker");
        g.write("polyarch.yaml", "builder: docker\nbuild: {secrets: {token: {env: TOKEN_FOR_BUILD}}}\n").commit("config");
        var r = Cli.run(Map.of("TOKEN_FOR_BUILD", SECRET), "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base,
                "--platform", "linux/amd64");
        assertEquals(0, r.code(), r.toString());
        String layers = allLayers(repo + ":latest", Files.createDirectories(tmp.resolve("pulled")));
        assertTrue(layers.contains("secret-was-there"));
        assertFalse((r.out() + r.err() + layers).contains(SECRET));
        var unset = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base);
        assertEquals(2, unset.code(), unset.toString());
        assertTrue(unset.err().contains("build.secrets.token: the environment variable TOKEN_FOR_BUILD is not set"), unset.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "buildah"})
    void theSshAgentReachesARunStepThatMountsIt(String builder, @TempDir Path tmp) throws Exception {
        Path sock = tmp.resolve("agent.sock");
        var agent = Tools.run(List.of("ssh-agent", "-a", sock.toString()), tmp, Map.of(), 30).requireOk("ssh-agent");
        String pid = agent.out().replaceAll("(?s).*SSH_AGENT_PID=(\\d+).*", "$1");
        try {
            Tools.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp.resolve("id").toString()), tmp, Map.of(), 30).requireOk("ssh-keygen");
            Tools.run(List.of("ssh-add", tmp.resolve("id").toString()), tmp, Map.of("SSH_AUTH_SOCK", sock.toString()), 30).requireOk("ssh-add");
            GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                    ARG BASE
                    FROM ${BASE}
                    RUN --mount=type=ssh sh -c 'test -S "$SSH_AUTH_SOCK" && echo agent-socket-mounted > /ssh-was-there'
                    """).write(".dockerignore", ".git\n").write("polyarch.yaml", "builder: " + builder + "\n");
            g.commit("ssh");
            String repo = reg.host() + "/features/ssh-" + builder;
            var r = Cli.run(Map.of("SSH_AUTH_SOCK", sock.toString()), "run", "--source", g.dir().toString(), "--to", repo,
                    "--build-arg", "BASE=" + base, "--ssh", "default", "--platform", "linux/amd64");
            assertEquals(0, r.code(), r.toString());
            assertTrue(allLayers(repo + ":latest", Files.createDirectories(tmp.resolve("pulled"))).contains("agent-socket-mounted"));
            var noAgent = Cli.run(Map.of("SSH_AUTH_SOCK", ""), "run", "--source", g.dir().toString(), "--to", repo, "--ssh", "default");
            assertEquals(2, noAgent.code(), noAgent.toString());
        } finally {
            if (pid.matches("\\d+")) Tools.run(List.of("kill", pid));
        }
    }

    @Test
    void badSecretsAndTheClassicBuilderAreUsageErrors(@TempDir Path tmp) throws Exception {
        GitRepo g = app(tmp.resolve("src"), "{type: docker, docker: {mode: legacy}}");
        String repo = reg.host() + "/features/legacy";
        var classic = Cli.run(Map.of("T", SECRET), "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base,
                "--secret", "id=token,env=T");
        assertEquals(2, classic.code(), classic.toString());
        assertTrue(classic.err().contains("cannot take --secret"), classic.toString());
        var buildahNone = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--builder", "buildah", "--network", "none");
        assertEquals(2, buildahNone.code(), buildahNone.toString());
        assertTrue(buildahNone.err().contains("cannot take --network none"), buildahNone.toString());
        var unset = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--secret", "id=token,env=POLYARCH_NO_SUCH_VAR");
        assertEquals(2, unset.code(), unset.toString());
        assertTrue(unset.err().contains("POLYARCH_NO_SUCH_VAR is not set"), unset.toString());
        var both = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--secret", "id=token");
        assertEquals(2, both.code(), both.toString());
        var net = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--to", repo, "--network", "bridge0");
        assertEquals(2, net.code(), net.toString());
        assertFalse(RunIT.tagExists(repo + ":latest"));
    }
}
