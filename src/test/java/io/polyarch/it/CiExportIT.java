package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.polyarch.oci.OciJson;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch export github-actions} and {@code export gitlab-ci}: the workflow is accepted by GitHub's own parser
 * ({@code @actions/workflow-parser}), and every job's {@code run} steps, executed here with the variables the runner
 * sets ({@code GITHUB_SHA}, {@code GITHUB_REF_NAME}, {@code CI_COMMIT_SHA}, ...; the arm64 job under QEMU instead of on
 * an arm64 runner), leave a two-platform index in the real registry that docker runs on both architectures.
 */
class CiExportIT {
    static TestRegistry reg;
    static String base;
    static final Path JAR = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();
    static final Path PARSER = Path.of(System.getenv().getOrDefault("POLYARCH_FIXTURES", System.getProperty("user.home") + "/.cache/polyarch/fixtures"),
            "workflow-parser-0.3.61");

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        base = TestImages.publishBase(reg);
    }

    @AfterAll
    static void stop() {
        reg.close();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static GitRepo app(Path dir, String repo) {
        GitRepo g = GitRepo.init(dir).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n").write("polyarch.yaml", """
                pipelineName: shop
                source: {github: {owner: acme, repo: shop, branch: main}}
                destination: {registry: {repository: %s, tagRules: [latest, commit-short, semver]}}
                buildArgs: {BASE: %s}
                fastFail: true
                """.formatted(repo, base));
        g.commit("first");
        return g;
    }

    /** The commands a runner would run, with the variables it sets; PATH starts with a JDK 21+, as setup-java leaves it. */
    static Tools.Result sh(Path dir, String script, Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.put("PWD", dir.toString());
        e.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
        e.put("CI", "true");
        return Tools.run(List.of("bash", "-euo", "pipefail", "-c", script), dir, e, 900);
    }

    static final Pattern EXPR = Pattern.compile("\\$\\{\\{\\s*(.*?)\\s*}}");

    /** GitHub's expressions as the exported workflow uses them: a context path, or {@code a || 'default'}. */
    static String expand(String text, Map<String, String> contexts) {
        Matcher m = EXPR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = "";
            for (String alt : m.group(1).split("\\|\\|")) {
                String a = alt.strip();
                value = a.startsWith("'") ? a.substring(1, a.length() - 1) : contexts.getOrDefault(a, "");
                if (!value.isEmpty()) break;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static Set<String> platforms(String ref) throws Exception {
        JsonNode idx = OciJson.mapper().readTree(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo").out());
        Set<String> out = new TreeSet<>();
        idx.path("manifests").forEach(m -> out.add(m.path("platform").path("os").asText() + "/" + m.path("platform").path("architecture").asText()));
        return out;
    }

    @Test
    void theGithubWorkflowPassesGithubsParserAndItsStepsPublish(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/ci/github";
        GitRepo g = app(tmp.resolve("src"), repo);
        String sha = g.git("rev-parse", "HEAD").strip();
        Files.createDirectories(g.dir().resolve(".github/workflows"));
        Tools.run(List.of(java(), "-jar", JAR.toString(), "export", "github-actions", "-o", ".github/workflows/polyarch.yml"), g.dir(),
                        Map.of("PWD", g.dir().toString()), 120)
                .requireOk("export github-actions");
        Path wf = g.dir().resolve(".github/workflows/polyarch.yml");

        Path check = PARSER.resolve("check.mjs");
        Files.copy(Path.of("src/test/resources/ci/check-workflow.mjs"), check, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var parsed = Tools.run(List.of("node", check.toString(), wf.toString()), PARSER, Map.of(), 120);
        assertEquals(0, parsed.code(), "GitHub's parser accepts it: " + parsed + "\n" + Files.readString(wf));
        assertTrue(parsed.out().contains("\"build\"") && parsed.out().contains("\"publish\""), parsed.out());
        Path broken = tmp.resolve("broken.yml");
        Files.writeString(broken, Files.readString(wf).replace("runs-on:", "runs_on:"));
        assertEquals(1, Tools.run(List.of("node", check.toString(), broken.toString()), PARSER, Map.of(), 120).code(), "and refuses a broken one");

        JsonNode w = new ObjectMapper(new YAMLFactory()).readTree(wf.toFile());
        assertEquals("main", w.path("on").path("push").path("branches").path(0).asText());
        assertEquals("v*", w.path("on").path("push").path("tags").path(0).asText(), "a semver rule: version tags trigger it");
        assertEquals("polyarch-${{ github.ref }}", w.path("concurrency").path("group").asText());
        JsonNode build = w.path("jobs").path("build");
        assertTrue(build.path("strategy").path("fail-fast").asBoolean(), "fastFail is the matrix's fail-fast");
        Map<String, String> runners = new HashMap<>();
        build.path("strategy").path("matrix").path("include").forEach(i -> runners.put(i.path("platform").asText(), i.path("runner").asText()));
        assertEquals(Map.of("linux/amd64", "ubuntu-24.04", "linux/arm64", "ubuntu-24.04-arm"), runners, "native runners");
        assertEquals("build", w.path("jobs").path("publish").path("needs").asText());

        Map<String, String> ctx = new HashMap<>(Map.of("github.sha", sha, "github.ref", "refs/heads/main", "github.actor", "ci-bot",
                "vars.POLYARCH_JAR_URL", JAR.toUri().toString(), "secrets.GITHUB_TOKEN", "unused"));
        Map<String, String> env = new HashMap<>(Map.of("GITHUB_SHA", sha, "GITHUB_REF", "refs/heads/main", "GITHUB_REF_NAME", "main",
                "GITHUB_ACTIONS", "true", "RUNNER_TEMP", Files.createDirectories(tmp.resolve("runner")).toString()));
        w.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), expand(e.getValue().asText(), ctx)));
        for (JsonNode include : build.path("strategy").path("matrix").path("include")) {
            Map<String, String> c = new HashMap<>(ctx);
            include.fields().forEachRemaining(e -> c.put("matrix." + e.getKey(), e.getValue().asText()));
            runSteps(build, g.dir(), c, env);
        }
        assertTrue(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":latest")).code() != 0,
                "the platform jobs publish nothing");
        runSteps(w.path("jobs").path("publish"), g.dir(), ctx, env);
        assertEquals(Set.of("linux/amd64", "linux/arm64"), platforms(repo + ":latest"));
        assertEquals("ARCH=arm64 machine=aarch64", RunIT.dockerRun("linux/arm64", repo + ":" + sha.substring(0, 8)));
    }

    static void runSteps(JsonNode job, Path dir, Map<String, String> ctx, Map<String, String> env) {
        for (JsonNode step : job.path("steps")) {
            if (!step.has("run")) continue; // actions (checkout, setup-java, setup-qemu): this checkout, this JDK, this binfmt
            String script = expand(step.path("run").asText(), ctx);
            var r = sh(dir, script, env);
            assertEquals(0, r.code(), step.path("name").asText(script) + ": " + r);
        }
    }

    @Test
    void theGitlabPipelinesJobsPublish(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/ci/gitlab";
        GitRepo g = app(tmp.resolve("src"), repo);
        String sha = g.git("rev-parse", "HEAD").strip();
        Tools.run(List.of(java(), "-jar", JAR.toString(), "export", "gitlab-ci", "-o", ".gitlab-ci.yml"), g.dir(), Map.of("PWD", g.dir().toString()), 120).requireOk("export gitlab-ci");
        JsonNode p = new ObjectMapper(new YAMLFactory()).readTree(g.dir().resolve(".gitlab-ci.yml").toFile());
        assertEquals(List.of("build", "publish"), List.of(p.path("stages").path(0).asText(), p.path("stages").path(1).asText()));
        assertEquals("build", p.path("publish").path("needs").path(0).asText());
        assertEquals("docker:27-dind", p.path(".polyarch").path("services").path(0).asText(), "Docker-in-Docker");
        Map<String, String> runnerTags = new HashMap<>();
        p.path("build").path("parallel").path("matrix").forEach(m -> runnerTags.put(m.path("POLYARCH_PLATFORM").asText(), m.path("POLYARCH_RUNNER").asText()));
        assertEquals(Map.of("linux/amd64", "saas-linux-small-amd64", "linux/arm64", "saas-linux-small-arm64"), runnerTags);

        Map<String, String> env = new HashMap<>(Map.of("CI_COMMIT_SHA", sha, "CI_COMMIT_REF_NAME", "main", "CI_COMMIT_BRANCH", "main",
                "CI_COMMIT_REF_SLUG", "main", "GITLAB_CI", "true"));
        p.path("variables").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        // the job's docker service is this machine's engine; the jar comes from where a CI/CD variable would point
        env.remove("DOCKER_HOST");
        env.remove("DOCKER_TLS_CERTDIR");
        env.put("POLYARCH_JAR_URL", JAR.toUri().toString());
        List<String> before = new ArrayList<>();
        p.path(".polyarch").path("before_script").forEach(l -> before.add(l.asText()));
        for (JsonNode m : p.path("build").path("parallel").path("matrix")) {
            Map<String, String> e = new HashMap<>(env);
            m.fields().forEachRemaining(f -> e.put(f.getKey(), f.getValue().asText()));
            List<String> lines = new ArrayList<>(before);
            p.path("build").path("script").forEach(l -> lines.add(l.asText()));
            var r = sh(g.dir(), String.join("\n", lines), e);
            assertEquals(0, r.code(), "build " + m + ": " + r);
        }
        List<String> lines = new ArrayList<>(before);
        p.path("publish").path("script").forEach(l -> lines.add(l.asText()));
        var r = sh(g.dir(), String.join("\n", lines), env);
        assertEquals(0, r.code(), "publish: " + r);
        assertEquals(Set.of("linux/amd64", "linux/arm64"), platforms(repo + ":latest"));
        assertEquals("ARCH=amd64 machine=x86_64", RunIT.dockerRun("linux/amd64", repo + ":" + sha.substring(0, 8)));
    }
}
