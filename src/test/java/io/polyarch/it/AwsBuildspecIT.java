package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
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
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The buildspecs {@code aws synth} embeds, run here command by command with bash as CodeBuild runs them: in the
 * source checkout, with the project's environment variables and the ones CodeBuild sets, the polyarch jar already
 * in place ({@code POLYARCH_JAR}), AWS reached through recorded-request fakes whose ECR token opens a real registry.
 * The two platform jobs and then the publish job must leave a two-platform index whose images are the right
 * architectures.
 */
class AwsBuildspecIT {
    /** A registry with the busybox base image the jobs build FROM. */
    static TestRegistry basesWithBusybox() throws Exception {
        TestRegistry bases = TestRegistry.plain();
        try (Registries plain = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
             RegistryClient b = plain.open(Reference.parse(bases.host() + "/base"), true)) {
            TestImages.pushBase(b, "");
        }
        return bases;
    }

    @Test
    void thePlatformJobsAndThePublishJobProduceTheImage(@TempDir Path tmp) throws Exception {
        try (TestRegistry ecr = TestRegistry.htpasswd(); TestRegistry bases = basesWithBusybox()) {
            GitRepo g = GitRepo.init(tmp.resolve("src"))
                    .write("services/api/Dockerfile", RunIT.APP_DOCKERFILE)
                    .write("values.yaml", """
                            pipelineName: api-pipeline
                            source:
                              github: {owner: acme, repo: mono, branch: main, triggerOnPush: true,
                                       connectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/abcd"}
                            workDir: services/api
                            destination:
                              ecr: {repoName: team/app, exists: false, tagRules: [latest, commit-short]}
                            buildArgs: {BASE: %s/base:latest}
                            """.formatted(bases.host()));
            String sha = g.commit("on AWS");

            Cli.Result synth = Cli.run(Map.of("PWD", g.dir().toString()), "aws", "synth");
            assertEquals(0, synth.code(), synth.toString());
            JsonNode resources = OciJson.readTree(synth.out().getBytes(), "template").path("Resources");
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
            Path jar = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();
            String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();

            try (FakeAws aws = new FakeAws(false, ecr.host())) {
                for (String project : List.of("BuildAmd64", "BuildArm64", "Publish")) {
                    JsonNode props = resources.path(project).path("Properties");
                    Map<String, String> env = new HashMap<>(aws.env());
                    for (JsonNode v : props.path("Environment").path("EnvironmentVariables")) {
                        JsonNode value = v.path("Value");
                        String text = value.isTextual() ? value.asText() : switch (value.path("Ref").asText()) {
                            case "PolyarchJarBucket" -> "polyarch-artifacts-123456789012";
                            case "PolyarchJarKey" -> "polyarch/polyarch.jar";
                            default -> throw new AssertionError("unexpected " + value);
                        };
                        env.put(v.path("Name").asText(), text);
                    }
                    // what CodeBuild sets in every build
                    env.put("CODEBUILD_SRC_DIR", g.dir().toString());
                    env.put("PWD", g.dir().toString());
                    env.put("CODEBUILD_BUILD_ID", props.path("Name").asText() + ":0001");
                    env.put("CODEBUILD_RESOLVED_SOURCE_VERSION", sha);
                    env.put("CODEBUILD_BUILD_IMAGE", props.path("Environment").path("Image").asText());
                    env.put("AWS_DEFAULT_REGION", "us-east-1");
                    env.put("POLYARCH_JAR", jar.toString()); // the jar is in place: the install step's download is skipped
                    env.put("PATH", javaBin + ":" + System.getenv("PATH"));
                    env.put("JAVA_TOOL_OPTIONS", "-Daws.disableEc2Metadata=true");
                    JsonNode spec = yaml.readTree(props.path("Source").path("BuildSpec").asText());
                    assertEquals("bash", spec.path("env").path("shell").asText());
                    for (String phase : List.of("install", "pre_build", "build", "post_build")) {
                        for (JsonNode cmd : spec.path("phases").path(phase).path("commands")) {
                            var r = Tools.run(List.of("bash", "-c", cmd.asText()), g.dir(), env, 900);
                            assertEquals(0, r.code(), project + " " + phase + ": " + cmd.asText() + "\n" + r.out() + "\n" + r.err());
                        }
                    }
                }
            }

            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecr.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(ecr.host() + "/team/app"), false)) {
                ImageIndex idx = (ImageIndex) c.getManifest(sha.substring(0, 8)).orElseThrow().parse();
                assertEquals(c.headManifest("latest").orElseThrow().digest(), c.headManifest(sha.substring(0, 8)).orElseThrow().digest());
                Set<String> archs = new TreeSet<>();
                for (Descriptor d : idx.manifests()) {
                    ImageManifest m = (ImageManifest) c.getManifest(d.digest().toString()).orElseThrow().parse();
                    ImageConfig cfg;
                    try (var in = c.openBlob(m.config())) {
                        cfg = OciJson.parseConfig(in.readAllBytes());
                    }
                    assertTrue(cfg.platform().matches(d.platform()), d.platform() + " vs " + cfg.platform());
                    archs.add(cfg.platform().architecture());
                }
                assertEquals(Set.of("amd64", "arm64"), archs);
            } finally {
                authed.close();
            }
        }
    }

    @Test
    void theBatchBuildGraphRunsTheSameJobsInDependencyOrder(@TempDir Path tmp) throws Exception {
        try (TestRegistry ecr = TestRegistry.htpasswd(); TestRegistry bases = basesWithBusybox()) {
            GitRepo g = GitRepo.init(tmp.resolve("src"))
                    .write("Dockerfile", RunIT.APP_DOCKERFILE)
                    .write("polyarch.yaml", """
                            pipelineName: batch
                            destination: {ecr: {repoName: team/app, exists: false, tagRules: [latest]}}
                            buildArgs: {BASE: %s/base:latest}
                            fastFail: true
                            """.formatted(bases.host()));
            g.commit("batch");
            Cli.Result export = Cli.run(Map.of("PWD", g.dir().toString()), "export", "codebuild-batch");
            assertEquals(0, export.code(), export.toString());
            JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(export.out());
            assertTrue(spec.path("batch").path("fast-fail").asBoolean());
            JsonNode graph = spec.path("batch").path("build-graph");
            assertEquals(List.of("build_amd64", "build_arm64", "publish"), List.of(graph.get(0).path("identifier").asText(),
                    graph.get(1).path("identifier").asText(), graph.get(2).path("identifier").asText()));
            assertEquals("ARM_CONTAINER", graph.get(1).path("env").path("type").asText());
            assertEquals(2, graph.get(2).path("depend-on").size());
            Path jar = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();
            try (FakeAws aws = new FakeAws(false, ecr.host())) {
                for (JsonNode node : graph) {
                    Map<String, String> env = new HashMap<>(aws.env());
                    spec.path("env").path("variables").fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
                    node.path("env").path("variables").fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
                    env.put("CODEBUILD_SRC_DIR", g.dir().toString());
                    env.put("PWD", g.dir().toString());
                    env.put("CODEBUILD_BATCH_BUILD_IDENTIFIER", node.path("identifier").asText());
                    env.put("POLYARCH_JAR", jar.toString());
                    env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
                    env.put("JAVA_TOOL_OPTIONS", "-Daws.disableEc2Metadata=true");
                    for (String phase : List.of("install", "build")) {
                        for (JsonNode cmd : spec.path("phases").path(phase).path("commands")) {
                            var r = Tools.run(List.of("bash", "-c", cmd.asText()), g.dir(), env, 900);
                            assertEquals(0, r.code(), node.path("identifier").asText() + ": " + cmd.asText() + "\n" + r.out() + "\n" + r.err());
                        }
                    }
                }
            }
            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecr.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(ecr.host() + "/team/app"), false)) {
                assertEquals(2, ((ImageIndex) c.getManifest("latest").orElseThrow().parse()).manifests().size());
            } finally {
                authed.close();
            }
        }
    }
}
