package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.testing.Cli;
import io.polyarch.testing.FakeAws;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.ScriptedServer;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch run --executor codebuild}. The fake CodeBuild does what CodeBuild does with a StartBuild: it runs
 * the buildspec it was given, with the environment overrides, in a checkout of the requested commit, and serves the
 * output through a fake CloudWatch Logs; STS/ECR/S3 are fakes too, and the registry the ECR token opens is real.
 */
class CodeBuildExecutorIT {
    static TestRegistry ecr;
    static TestRegistry bases;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("aws.disableEc2Metadata", "true");
        ecr = TestRegistry.htpasswd();
        bases = TestRegistry.plain();
        try (Registries plain = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
             RegistryClient b = plain.open(Reference.parse(bases.host() + "/base"), true)) {
            TestImages.pushBase(b, "");
        }
    }

    @AfterAll
    static void stop() {
        ecr.close();
        bases.close();
    }

    /** STS and ECR from FakeAws; S3 (the jar), CodeBuild and CloudWatch Logs here. */
    static final class FakeCodeBuild implements AutoCloseable {
        final FakeAws aws;
        final ScriptedServer server;
        final Path checkout;
        final String failProject;
        final List<JsonNode> startBuilds = new CopyOnWriteArrayList<>();
        final Map<String, List<String>> lines = new ConcurrentHashMap<>();
        final Map<String, String> status = new ConcurrentHashMap<>();
        final Map<String, byte[]> s3 = new ConcurrentHashMap<>();
        int n;

        FakeCodeBuild(Path checkout, String failProject) throws Exception {
            this.checkout = checkout;
            this.failProject = failProject;
            aws = new FakeAws(false, ecr.host());
            server = ScriptedServer.withBodies(this::handle);
        }

        Map<String, String> env() {
            return Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", FakeAws.SECRET_KEY, "AWS_REGION", "us-east-1",
                    "AWS_ENDPOINT_URL", "http://127.0.0.1:" + server.port(), "POLYARCH_AWS_POLL_MS", "200");
        }

        ScriptedServer.Action handle(ScriptedServer.Req r) throws Exception {
            String target = r.header("X-Amz-Target");
            String json = "application/x-amz-json-1.1";
            if (target == null && !r.path().equals("/")) { // S3: the jar bucket
                String key = r.path().substring(1);
                return switch (r.method()) {
                    case "HEAD" -> ScriptedServer.Reply.of(key.contains("/") && !s3.containsKey(key) ? 404 : 200, "");
                    case "PUT" -> {
                        s3.put(key, r.body());
                        yield ScriptedServer.Reply.of(200, "", "ETag", "\"e\"");
                    }
                    default -> ScriptedServer.Reply.of(400, "");
                };
            }
            if (target == null || target.startsWith("AmazonEC2ContainerRegistry")) return aws.handle(r);
            JsonNode body = OciJson.readTree(r.body(), target);
            if (target.endsWith(".StartBuild")) {
                startBuilds.add(body);
                String project = body.path("projectName").asText();
                String id = project + ":" + (++n);
                lines.put(id, new CopyOnWriteArrayList<>());
                status.put(id, "IN_PROGRESS");
                Thread.ofPlatform().start(() -> runBuild(id, project, body));
                return ScriptedServer.Reply.of(200, "{\"build\":{\"id\":\"" + id + "\",\"projectName\":\"" + project + "\",\"buildStatus\":\"IN_PROGRESS\",\"buildComplete\":false}}",
                        "Content-Type", json);
            }
            if (target.endsWith(".BatchGetBuilds")) {
                StringBuilder b = new StringBuilder("{\"builds\":[");
                for (JsonNode id : body.path("ids")) {
                    String s = status.get(id.asText());
                    if (b.charAt(b.length() - 1) == '}') b.append(',');
                    b.append("{\"id\":\"").append(id.asText()).append("\",\"buildStatus\":\"").append(s).append("\",\"buildComplete\":")
                            .append(!s.equals("IN_PROGRESS")).append(",\"currentPhase\":\"BUILD\",\"logs\":{\"groupName\":\"/aws/codebuild/x\",\"streamName\":\"")
                            .append(id.asText()).append("\"}}");
                }
                return ScriptedServer.Reply.of(200, b.append("]}").toString(), "Content-Type", json);
            }
            if (target.endsWith(".GetLogEvents")) {
                List<String> l = lines.get(body.path("logStreamName").asText());
                int from = body.has("nextToken") ? Integer.parseInt(body.path("nextToken").asText().substring(2)) : 0;
                int to = Math.min(l.size(), from + 50); // pages of 50 lines
                var out = OciJson.mapper().createObjectNode();
                var ev = out.putArray("events");
                for (int i = from; i < to; i++) ev.addObject().put("timestamp", 1).put("message", l.get(i) + "\n");
                out.put("nextForwardToken", "f/" + to).put("nextBackwardToken", "b/0");
                return ScriptedServer.Reply.of(200, OciJson.mapper().writeValueAsString(out), "Content-Type", json);
            }
            return ScriptedServer.Reply.of(400, "{\"__type\":\"InvalidAction\"}", "Content-Type", json);
        }

        /** What CodeBuild does: the buildspec's commands, with its variables, in the checked-out commit. */
        void runBuild(String id, String project, JsonNode req) {
            try {
                if (project.equals(failProject)) {
                    lines.get(id).add("simulated failure in " + project);
                    status.put(id, "FAILED");
                    return;
                }
                Map<String, String> env = new HashMap<>(aws.env());
                for (JsonNode v : req.path("environmentVariablesOverride")) env.put(v.path("name").asText(), v.path("value").asText());
                env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + server.port());
                env.put("CODEBUILD_SRC_DIR", checkout.toString());
                env.put("CODEBUILD_SOURCE_VERSION", req.path("sourceVersion").asText());
                env.put("PWD", checkout.toString());
                env.put("POLYARCH_JAR", Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath().toString());
                env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
                env.put("JAVA_TOOL_OPTIONS", "-Daws.disableEc2Metadata=true");
                JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(req.path("buildspecOverride").asText());
                for (String phase : List.of("install", "build")) {
                    for (JsonNode cmd : spec.path("phases").path(phase).path("commands")) {
                        var r = Tools.run(List.of("bash", "-c", cmd.asText()), checkout, env, 900);
                        (r.out() + r.err()).lines().forEach(lines.get(id)::add);
                        if (r.code() != 0) {
                            status.put(id, "FAILED");
                            return;
                        }
                    }
                }
                status.put(id, "SUCCEEDED");
            } catch (Exception | AssertionError e) {
                lines.get(id).add(e.toString());
                status.put(id, "FAILED");
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            aws.close();
        }
    }

    static GitRepo repo(Path dir) {
        return GitRepo.init(dir).write("Dockerfile", RunIT.APP_DOCKERFILE).write("values.yaml", """
                pipelineName: api-pipeline
                source:
                  github: {owner: acme, repo: api, branch: main, triggerOnPush: true,
                           connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/abcd"}
                destination:
                  ecr: {repoName: team/app, exists: false, tagRules: [latest, commit-short]}
                buildArgs: {BASE: %s/base:latest}
                """.formatted(bases.host()));
    }

    @Test
    void platformJobsRunOnCodeBuildAndTheIndexIsPublishedHere(@TempDir Path tmp) throws Exception {
        GitRepo g = repo(tmp.resolve("src"));
        String sha = g.commit("on codebuild");
        try (FakeCodeBuild cloud = new FakeCodeBuild(g.dir(), null)) {
            Map<String, String> env = new HashMap<>(cloud.env());
            env.put("POLYARCH_JAR", Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath().toString());
            Cli.Result r = Cli.run(env, "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString(), "--executor", "codebuild");
            assertEquals(0, r.code(), r.toString());
            assertEquals(2, cloud.startBuilds.size());
            List<String> projects = new ArrayList<>();
            for (JsonNode sb : cloud.startBuilds) {
                projects.add(sb.path("projectName").asText());
                assertEquals(sha, sb.path("sourceVersion").asText());
                assertEquals("GITHUB", sb.path("sourceTypeOverride").asText());
                assertEquals("https://github.com/acme/api.git", sb.path("sourceLocationOverride").asText());
                assertEquals("CODECONNECTIONS", sb.path("sourceAuthOverride").path("type").asText());
                assertEquals("arn:aws:codeconnections:us-east-1:123456789012:connection/abcd", sb.path("sourceAuthOverride").path("resource").asText());
                assertEquals("NO_ARTIFACTS", sb.path("artifactsOverride").path("type").asText());
                assertTrue(sb.path("buildspecOverride").asText().contains("--no-publish"));
                Map<String, String> vars = new HashMap<>();
                sb.path("environmentVariablesOverride").forEach(v -> vars.put(v.path("name").asText(), v.path("value").asText()));
                assertEquals("values.yaml", vars.get("POLYARCH_CONFIG"));
                assertTrue(cloud.s3.containsKey(vars.get("POLYARCH_JAR_BUCKET") + "/" + vars.get("POLYARCH_JAR_KEY")), "the jar the jobs fetch was uploaded");
            }
            assertEquals(List.of("api-pipeline-amd64", "api-pipeline-arm64"), projects);
            // the jobs' own output, followed from the logs and prefixed with their platform
            assertTrue(r.err().contains("[linux/arm64]") && r.err().contains("build only (--no-publish)"), r.err());
            assertTrue(r.out().contains("reused"), r.out());
            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecr.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(ecr.host() + "/team/app"), false)) {
                ImageIndex idx = (ImageIndex) c.getManifest(sha.substring(0, 8)).orElseThrow().parse();
                assertEquals(2, idx.manifests().size());
            } finally {
                authed.close();
            }
            assertFalse(r.out().contains(FakeAws.SECRET_KEY) || r.err().contains(FakeAws.SECRET_KEY) || r.err().contains(TestRegistry.PASSWORD));
        }
    }

    @Test
    void aFailedCodeBuildJobPublishesNothing(@TempDir Path tmp) throws Exception {
        GitRepo g = repo(tmp.resolve("src"));
        g.write("values.yaml", new String(java.nio.file.Files.readAllBytes(g.dir().resolve("values.yaml")), StandardCharsets.UTF_8).replace("team/app", "team/failing"));
        g.commit("fails on arm64");
        try (FakeCodeBuild cloud = new FakeCodeBuild(g.dir(), "api-pipeline-arm64")) {
            Map<String, String> env = new HashMap<>(cloud.env());
            env.put("POLYARCH_JAR", Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath().toString());
            Cli.Result r = Cli.run(env, "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString(), "--executor", "codebuild");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.out().contains("FAILED: linux/arm64 failed on CodeBuild") && r.out().contains("no index tag"), r.out());
            assertTrue(r.err().contains("simulated failure in api-pipeline-arm64"), r.err());
            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecr.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(ecr.host() + "/team/failing"), false)) {
                assertTrue(c.headManifest("latest").isEmpty(), "no index");
            } finally {
                authed.close();
            }
            // a dirty checkout is refused before anything starts
            g.write("README.md", "uncommitted\n");
            Cli.Result dirty = Cli.run(env, "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString(), "--executor", "codebuild");
            assertEquals(2, dirty.code(), dirty.toString());
            assertTrue(dirty.err().contains("commit and push"), dirty.err());
        }
    }
}
