package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Cli;
import io.polyarch.testing.FakeAws;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.ScriptedServer;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An ECR destination: STS and ECR are recorded-request fakes (the requests are asserted exactly, including a
 * throttled call the SDK retries); the registry the token opens is a real distribution registry with htpasswd,
 * reached at the token's proxy endpoint, as docker and polyarch reach ECR.
 */
class EcrIT {
    static final String ACCOUNT = FakeAws.ACCOUNT;
    static TestRegistry ecrRegistry;
    static TestRegistry bases;
    static Registries registries;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("aws.disableEc2Metadata", "true"); // no instance-metadata probing on a machine without a role
        ecrRegistry = TestRegistry.htpasswd();
        bases = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
        try (RegistryClient b = registries.open(Reference.parse(bases.host() + "/base"), true)) {
            TestImages.pushBase(b, "");
        }
    }

    @AfterAll
    static void stop() {
        registries.close();
        ecrRegistry.close();
        bases.close();
    }

    static Map<String, String> awsEnv(FakeAws aws) {
        return aws.env();
    }

    static GitRepo app(Path dir, String ecrBlock) {
        return GitRepo.init(dir).write("Dockerfile", RunIT.APP_DOCKERFILE).write("values.yaml", """
                pipelineName: app
                destination:
                  ecr:
                %s
                    tagRules: [latest, commit-short]
                buildArgs: {BASE: %s/base:latest}
                """.formatted(ecrBlock, bases.host()));
    }

    @Test
    void createsTheRepositoryLogsInWithTheEcrTokenAndPublishes(@TempDir Path tmp) throws Exception {
        FakeAws aws = new FakeAws(false, ecrRegistry.host());
        try (aws) {
            GitRepo g = app(tmp.resolve("src"), "    repoName: team/app\n    exists: false");
            g.commit("to ecr");
            Cli.Result r = Cli.run(awsEnv(aws), "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString());
            assertEquals(0, r.code(), r.toString());
            assertEquals(List.of("GetCallerIdentity", "DescribeRepositories", "CreateRepository", "GetAuthorizationToken", "GetAuthorizationToken"),
                    aws.ops, "one throttled token call, retried by the SDK");
            // the exact requests
            for (ScriptedServer.Req q : aws.reqs) {
                assertEquals("POST", q.method());
                assertTrue(q.header("Authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), q.header("Authorization"));
                String scope = q.header("X-Amz-Target") == null ? "/us-east-1/sts/aws4_request" : "/us-east-1/ecr/aws4_request";
                assertTrue(q.header("Authorization").contains(scope), q.header("Authorization"));
            }
            assertTrue(new String(aws.reqs.get(0).body(), StandardCharsets.UTF_8).contains("Action=GetCallerIdentity&Version=2011-06-15"));
            JsonNode describe = OciJson.readTree(aws.reqs.get(1).body(), "DescribeRepositories");
            assertEquals(OciJson.readTree(("{\"registryId\":\"" + ACCOUNT + "\",\"repositoryNames\":[\"team/app\"]}").getBytes(), "x"), describe);
            JsonNode create = OciJson.readTree(aws.reqs.get(2).body(), "CreateRepository");
            assertEquals(OciJson.readTree(("{\"registryId\":\"" + ACCOUNT + "\",\"repositoryName\":\"team/app\",\"imageTagMutability\":\"MUTABLE\","
                    + "\"imageScanningConfiguration\":{\"scanOnPush\":true},\"encryptionConfiguration\":{\"encryptionType\":\"AES256\"}}").getBytes(), "x"), create);
            assertEquals(OciJson.readTree(("{\"registryIds\":[\"" + ACCOUNT + "\"]}").getBytes(), "x"), OciJson.readTree(aws.reqs.get(4).body(), "token"));
            assertTrue(r.err().contains("created ECR repository"), r.err());

            // published in the registry the token opened, readable only with those credentials
            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecrRegistry.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(ecrRegistry.host() + "/team/app"), false)) {
                ImageIndex idx = (ImageIndex) c.getManifest("latest").orElseThrow().parse();
                assertEquals(2, idx.manifests().size());
            } finally {
                authed.close();
            }
            // neither the registry password nor the AWS secret is printed
            for (String secret : List.of(TestRegistry.PASSWORD, "wJalrXUtnFEMI", Base64.getEncoder().encodeToString(
                    (TestRegistry.USER + ":" + TestRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8)))) {
                assertFalse(r.out().contains(secret) || r.err().contains(secret), "secret printed");
            }

            // again: the repository exists now, nothing is created
            aws.ops.clear();
            Cli.Result again = Cli.run(awsEnv(aws), "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString());
            assertEquals(0, again.code(), again.toString());
            assertEquals(List.of("GetCallerIdentity", "DescribeRepositories", "GetAuthorizationToken"), aws.ops);
        }
    }

    @Test
    void clearErrorsForAMissingRepositoryAWrongAccountAndNoCredentials(@TempDir Path tmp) throws Exception {
        FakeAws aws = new FakeAws(false, ecrRegistry.host());
        try (aws) {
            GitRepo g = app(tmp.resolve("src"), "    repoName: team/app\n    exists: true");
            g.commit("exists: true");
            Cli.Result r = Cli.run(awsEnv(aws), "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("destination.ecr.repoName 'team/app' does not exist in account " + ACCOUNT) && r.err().contains("exists: false"), r.err());
            assertFalse(aws.ops.contains("CreateRepository"));

            GitRepo other = app(tmp.resolve("other"), "    repoName: team/app\n    accountId: \"999999999999\"");
            other.commit("another account");
            Cli.Result wrong = Cli.run(awsEnv(aws), "run", "--source", other.dir().toString(), "-c", other.dir().resolve("values.yaml").toString());
            assertEquals(2, wrong.code(), wrong.toString());
            assertTrue(wrong.err().contains("accountId is 999999999999 but the credentials are for account " + ACCOUNT), wrong.err());

            Map<String, String> noKeys = new java.util.HashMap<>(awsEnv(aws));
            noKeys.put("AWS_ACCESS_KEY_ID", "");
            noKeys.put("AWS_PROFILE", "polyarch-no-such-profile");
            noKeys.put("AWS_CONFIG_FILE", tmp.resolve("none").toString());
            noKeys.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("none").toString());
            Cli.Result none = Cli.run(noKeys, "run", "--source", g.dir().toString(), "-c", g.dir().resolve("values.yaml").toString());
            assertEquals(2, none.code(), none.toString());
            assertTrue(none.err().contains("no usable AWS credentials") && none.err().contains("AWS_ACCESS_KEY_ID"), none.err());
        }
    }
}
