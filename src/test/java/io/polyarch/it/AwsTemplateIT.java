package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.CfnSpec;
import io.polyarch.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code polyarch aws synth}: the template's structure, its least privilege, and its validity against the CloudFormation spec. */
class AwsTemplateIT {
    static final String MAKEOPS = """
            pipelineName: my-app-pipeline
            source:
              github:
                owner: acme
                repo: my-app
                branch: main
                connectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234
                triggerOnPush: true
            workDir: services/api
            destination:
              ecr:
                repoName: my-app
                exists: false
                tagRules: [latest, commit, commit-short]
            """;

    static JsonNode synth(Path dir, String values) throws Exception {
        Files.writeString(dir.resolve("values.yaml"), values);
        Cli.Result r = Cli.run(Map.of("PWD", dir.toString()), "aws", "synth");
        assertEquals(0, r.code(), r.toString());
        return OciJson.readTree(r.out().getBytes(), "template");
    }

    /** The MakeOps values with their ECR destination first of a {@code destinations:} list, these (YAML list items) after it. */
    static String withOthers(String items) {
        String values = MAKEOPS.replace("""
                destination:
                  ecr:
                    repoName: my-app
                    exists: false
                    tagRules: [latest, commit, commit-short]
                """, """
                destinations:
                  - ecr: {repoName: my-app, exists: false, tagRules: [latest, commit, commit-short]}
                """ + items);
        assertTrue(values.contains("destinations:"), values);
        return values;
    }

    static List<JsonNode> statements(JsonNode role) {
        List<JsonNode> out = new ArrayList<>();
        role.path("Properties").path("Policies").forEach(p -> p.path("PolicyDocument").path("Statement").forEach(out::add));
        return out;
    }

    @Test
    void theMakeOpsValuesGiveAValidLeastPrivilegeTemplate(@TempDir Path dir) throws Exception {
        JsonNode t = synth(dir, MAKEOPS);
        CfnSpec spec = CfnSpec.load();
        assertTrue(spec.resourceTypes() > 1000, "the spec is loaded: " + spec.resourceTypes());
        List<String> problems = spec.validate(t);
        assertTrue(problems.isEmpty(), String.join("\n", problems));

        JsonNode res = t.path("Resources");
        assertEquals("AWS::ECR::Repository", res.path("Repository").path("Type").asText());
        assertTrue(res.path("Repository").path("Properties").path("ImageScanningConfiguration").path("ScanOnPush").asBoolean());
        JsonNode bucket = res.path("ArtifactBucket").path("Properties");
        assertTrue(bucket.path("PublicAccessBlockConfiguration").path("BlockPublicPolicy").asBoolean());
        assertEquals("AES256", bucket.path("BucketEncryption").path("ServerSideEncryptionConfiguration").get(0).path("ServerSideEncryptionByDefault").path("SSEAlgorithm").asText());
        assertEquals(30, bucket.path("LifecycleConfiguration").path("Rules").get(0).path("ExpirationInDays").asInt());

        // one native CodeBuild project per platform, privileged, running polyarch for its platform; a publish project
        JsonNode arm = res.path("BuildArm64").path("Properties");
        assertEquals("ARM_CONTAINER", arm.path("Environment").path("Type").asText());
        assertTrue(arm.path("Environment").path("Image").asText().contains("aarch64"));
        assertTrue(arm.path("Environment").path("PrivilegedMode").asBoolean());
        assertTrue(arm.path("Source").path("BuildSpec").asText().contains("--platform \"$POLYARCH_PLATFORM\" --no-publish"));
        JsonNode amd = res.path("BuildAmd64").path("Properties");
        assertEquals("LINUX_CONTAINER", amd.path("Environment").path("Type").asText());
        assertTrue(amd.path("Environment").path("Image").asText().contains("x86_64"));
        assertTrue(res.path("Publish").path("Properties").path("Source").path("BuildSpec").asText().contains("--reuse-only"));

        // the pipeline: V2, source through the connection with a branch trigger, builds in parallel, then publish
        JsonNode pipe = res.path("Pipeline").path("Properties");
        assertEquals("V2", pipe.path("PipelineType").asText());
        JsonNode src = pipe.path("Stages").get(0).path("Actions").get(0).path("Configuration");
        assertEquals("arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234", src.path("ConnectionArn").asText());
        assertEquals("acme/my-app", src.path("FullRepositoryId").asText());
        assertEquals("CODEBUILD_CLONE_REF", src.path("OutputArtifactFormat").asText());
        assertEquals(List.of("Source", "Build", "Publish"), List.of(pipe.path("Stages").get(0).path("Name").asText(),
                pipe.path("Stages").get(1).path("Name").asText(), pipe.path("Stages").get(2).path("Name").asText()));
        assertEquals(2, pipe.path("Stages").get(1).path("Actions").size());
        pipe.path("Stages").get(1).path("Actions").forEach(a -> assertEquals(1, a.path("RunOrder").asInt()));
        assertEquals("main", pipe.path("Triggers").get(0).path("GitConfiguration").path("Push").get(0).path("Branches").path("Includes").get(0).asText());

        // least privilege: no managed policies, no wildcard actions, '*' only where the API allows nothing else
        for (String roleId : List.of("BuildRole", "PipelineRole")) {
            JsonNode role = res.path(roleId);
            assertFalse(role.path("Properties").has("ManagedPolicyArns"), roleId + " has managed policies");
            for (JsonNode st : statements(role)) {
                assertEquals("Allow", st.path("Effect").asText());
                for (JsonNode a : st.path("Action")) assertFalse(a.asText().contains("*"), roleId + ": wildcard action " + a);
                Set<String> actions = new HashSet<>();
                st.path("Action").forEach(a -> actions.add(a.asText()));
                for (JsonNode r : st.path("Resource")) {
                    if (r.isTextual() && r.asText().equals("*")) assertEquals(Set.of("ecr:GetAuthorizationToken"), actions, roleId + ": '*' resource");
                }
            }
        }
        List<JsonNode> build = statements(res.path("BuildRole"));
        JsonNode push = build.stream().filter(s -> s.path("Sid").asText().equals("PushToThisRepository")).findFirst().orElseThrow();
        assertEquals("Repository", push.path("Resource").get(0).path("Fn::GetAtt").get(0).asText(), "push to this repository only");
        assertTrue(build.stream().noneMatch(s -> s.toString().contains("codebuild:")), "builds cannot start builds");
        JsonNode runs = statements(res.path("PipelineRole")).stream().filter(s -> s.path("Sid").asText().equals("RunTheBuilds")).findFirst().orElseThrow();
        assertEquals(3, runs.path("Resource").size(), "the pipeline may start its three projects, nothing else");
    }

    @Test
    void aLifecyclePolicyOnTheRepositoryTheStackOwnsAndANoteForOneItDoesNot(@TempDir Path dir) throws Exception {
        String values = MAKEOPS.replace("    tagRules: [latest, commit, commit-short]\n",
                "    tagRules: [latest, commit, commit-short]\n    lifecycle: {untaggedDays: 10, unpublishedBuilds: 20}\n");
        assertTrue(values.contains("lifecycle:"), values);
        JsonNode t = synth(dir, values);
        assertTrue(CfnSpec.load().validate(t).isEmpty(), String.join("\n", CfnSpec.load().validate(t)));
        JsonNode policy = OciJson.readTree(t.path("Resources").path("Repository").path("Properties").path("LifecyclePolicy")
                .path("LifecyclePolicyText").asText().getBytes(), "policy");
        List<String> patterns = new ArrayList<>();
        policy.path("rules").forEach(r -> r.path("selection").path("tagPatternList").forEach(p -> patterns.add(p.asText())));
        assertEquals(List.of("latest*", "*-amd64", "*-arm64", "sha256-*", "polyarch-cache-*", "polyarch-key-*"), patterns);
        JsonNode last = policy.path("rules").get(policy.path("rules").size() - 1);
        assertEquals("untagged", last.path("selection").path("tagStatus").asText());
        assertEquals(10, last.path("selection").path("countNumber").asInt());

        Files.writeString(dir.resolve("values.yaml"), values.replace("exists: false", "exists: true"));
        Cli.Result r = Cli.run(Map.of("PWD", dir.toString()), "aws", "synth");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("aws ecr put-lifecycle-policy --repository-name my-app"), r.err());
    }

    @Test
    void everyEcrDestinationIsInTheBuildRolesPushStatementAndNothingElse(@TempDir Path dir) throws Exception {
        String values = withOthers("""
                  - ecr: {repoName: mirror/my-app, region: eu-west-1}
                  - registry: {repository: ghcr.io/acme/my-app}
                """);
        JsonNode t = synth(dir, values);
        assertTrue(CfnSpec.load().validate(t).isEmpty(), String.join("\n", CfnSpec.load().validate(t)));
        JsonNode push = statements(t.path("Resources").path("BuildRole")).stream().filter(s -> s.path("Sid").asText().equals("PushToThisRepository"))
                .findFirst().orElseThrow();
        assertEquals(2, push.path("Resource").size(), push.toString());
        assertEquals("arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/mirror/my-app", push.path("Resource").get(1).path("Fn::Sub").asText());
    }

    @Test
    void aRegistryDestinationsCredentialsSecretIsReadableByTheJobsAndNoOtherSecret(@TempDir Path dir) throws Exception {
        String arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ghcr-push-AbCdEf";
        String values = withOthers("""
                  - registry: {repository: ghcr.io/acme/my-app, credentialsSecret: %s}
                  - registry: {repository: quay.io/acme/my-app}
                """.formatted(arn));
        JsonNode t = synth(dir, values);
        assertTrue(CfnSpec.load().validate(t).isEmpty(), String.join("\n", CfnSpec.load().validate(t)));
        List<JsonNode> reads = statements(t.path("Resources").path("BuildRole")).stream()
                .filter(s -> s.path("Action").toString().contains("secretsmanager")).toList();
        assertEquals(1, reads.size(), reads.toString());
        assertEquals("[\"secretsmanager:GetSecretValue\"]", reads.get(0).path("Action").toString());
        assertEquals("[\"" + arn + "\"]", reads.get(0).path("Resource").toString(), "that secret alone");
        assertFalse(t.toString().contains("SECRETS_MANAGER"), "no secret in the jobs' environment: polyarch reads it itself");

        // without a credentialsSecret, no secret at all
        JsonNode plain = synth(dir, MAKEOPS);
        assertFalse(plain.toString().contains("secretsmanager"), plain.toString());
    }

    @Test
    void anExistingRepositoryMoreArchitecturesAndNoTrigger(@TempDir Path dir) throws Exception {
        JsonNode t = synth(dir, MAKEOPS.replace("exists: false", "exists: true").replace("triggerOnPush: true", "triggerOnPush: false")
                + "platforms: [linux/amd64, linux/arm64, linux/arm/v7]\n");
        assertTrue(CfnSpec.load().validate(t).isEmpty(), String.join("\n", CfnSpec.load().validate(t)));
        JsonNode res = t.path("Resources");
        assertFalse(res.has("Repository"), "an existing repository is not in the stack");
        assertTrue(res.has("BuildArmv7"), res.toString());
        assertEquals("LINUX_CONTAINER", res.path("BuildArmv7").path("Properties").path("Environment").path("Type").asText(), "no native armv7 builder: x86 with QEMU");
        assertFalse(res.path("Pipeline").path("Properties").has("Triggers"));
        assertFalse(res.path("Pipeline").path("Properties").path("Stages").get(0).path("Actions").get(0).path("Configuration").path("DetectChanges").asBoolean());
    }

    @Test
    void aMissingConnectionArnOrARegistryDestinationIsAConfigError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("values.yaml"), MAKEOPS.replace("    connectionArn: arn:aws:codeconnections:us-east-1:123456789012:connection/abcd-1234\n", ""));
        Cli.Result r = Cli.run(Map.of("PWD", dir.toString()), "aws", "synth");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("source.github.connectionArn is missing"), r.err());
        Files.writeString(dir.resolve("values.yaml"), MAKEOPS.replace("connection/abcd-1234", "").replace("codeconnections", "s3"));
        assertEquals(2, Cli.run(Map.of("PWD", dir.toString()), "aws", "synth").code());
        Files.writeString(dir.resolve("values.yaml"), "destination: {registry: {repository: localhost:5000/x}}\n");
        Cli.Result reg = Cli.run(Map.of("PWD", dir.toString()), "aws", "synth");
        assertEquals(2, reg.code());
        assertTrue(reg.err().contains("destination.ecr"), reg.err());
    }

    @Test
    void theValidatorCatchesWhatCloudFormationWouldRefuse(@TempDir Path dir) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode t = (com.fasterxml.jackson.databind.node.ObjectNode) synth(dir, MAKEOPS);
        var res = (com.fasterxml.jackson.databind.node.ObjectNode) t.get("Resources");
        ((com.fasterxml.jackson.databind.node.ObjectNode) res.get("Pipeline").get("Properties")).put("Bogus", 1);
        ((com.fasterxml.jackson.databind.node.ObjectNode) res.get("Pipeline").get("Properties")).remove("Stages");
        ((com.fasterxml.jackson.databind.node.ObjectNode) res.get("BuildArm64").get("Properties").get("Environment")).put("PrivilegedMode", "yes");
        ((com.fasterxml.jackson.databind.node.ObjectNode) res.get("Pipeline").get("Properties")).put("PipelineType", "V3");
        ((com.fasterxml.jackson.databind.node.ObjectNode) res.get("ArtifactBucket")).put("Type", "AWS::S3::Bucketz");
        res.putObject("X").put("Type", "AWS::Logs::LogGroup").putObject("Properties").putObject("RetentionInDays").putArray("Fn::GetAtt").add("BuildRole").add("Nope");
        List<String> problems = CfnSpec.load().validate(t);
        String all = String.join("\n", problems);
        assertTrue(all.contains("Pipeline.Bogus: no such property"), all);
        assertTrue(all.contains("Pipeline.Stages: required, missing"), all);
        assertTrue(all.contains("BuildArm64.Environment.PrivilegedMode: expected a boolean"), all);
        assertTrue(all.contains("'V3' is not one of"), all);
        assertTrue(all.contains("unknown resource type AWS::S3::Bucketz"), all);
        assertTrue(all.contains("BuildRole.Nope: AWS::IAM::Role has no attribute Nope"), all);
    }
}
