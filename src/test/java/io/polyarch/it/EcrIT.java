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

    /**
     * {@code credentialsSecret} on a registry destination: the credentials come from Secrets Manager (a recorded-request
     * fake; the registry is a real distribution registry with htpasswd), go to that registry alone, and are never
     * printed; a secret that is not there, or lacks a key, stops the run before any build, naming the secret.
     */
    @Test
    void aRegistrySecretOpensThatRegistryAloneAndIsNeverPrinted(@TempDir Path tmp) throws Exception {
        FakeAws aws = new FakeAws(false, ecrRegistry.host());
        try (aws; TestRegistry other = TestRegistry.htpasswd()) {
            String guarded = ecrRegistry.host() + "/mirror/shop";
            String config = """
                    pipelineName: shop
                    destinations:
                      - registry: {repository: %s}
                      - registry: {repository: %s, credentialsSecret: %s}
                    tagRules: [latest]
                    buildArgs: {BASE: %s/base:latest}
                    """;
            GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n")
                    .write("polyarch.yaml", config.formatted(bases.host() + "/plain/shop", guarded, FakeAws.SECRET_ARN, bases.host()));
            g.commit("a guarded mirror");
            Map<String, String> env = new java.util.HashMap<>(awsEnv(aws));
            java.nio.file.Files.createDirectories(tmp.resolve("docker-config"));
            env.put("DOCKER_CONFIG", tmp.resolve("docker-config").toString()); // no credentials of the user's
            aws.secretString = "{\"username\":\"" + TestRegistry.USER + "\",\"password\":\"" + TestRegistry.PASSWORD + "\"}";

            Cli.Result r = Cli.run(env, "run", "--source", g.dir().toString());
            assertEquals(0, r.code(), r.toString());
            assertEquals(List.of("GetSecretValue"), aws.ops);
            ScriptedServer.Req q = aws.reqs.get(0);
            assertEquals("secretsmanager.GetSecretValue", q.header("X-Amz-Target"));
            assertTrue(q.header("Authorization").contains("/eu-west-1/secretsmanager/aws4_request"), "signed for the secret's region: " + q.header("Authorization"));
            assertEquals(OciJson.readTree(("{\"SecretId\":\"" + FakeAws.SECRET_ARN + "\"}").getBytes(), "x"), OciJson.readTree(q.body(), "request"));
            Registries authed = new Registries(RegistryOptions.defaults(),
                    CredentialProvider.fixed(ecrRegistry.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)));
            try (RegistryClient c = authed.open(Reference.parse(guarded), false);
                 RegistryClient p = registries.open(Reference.parse(bases.host() + "/plain/shop"), false)) {
                assertEquals(p.getManifest("latest").orElseThrow().digest(), c.getManifest("latest").orElseThrow().digest(), "the same index in both");
            } finally {
                authed.close();
            }
            for (String secret : List.of(TestRegistry.PASSWORD, FakeAws.SECRET_KEY, Base64.getEncoder().encodeToString(
                    (TestRegistry.USER + ":" + TestRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8)))) {
                assertFalse(r.out().contains(secret) || r.err().contains(secret), "secret printed");
            }

            // a build-only run pushes to the first destination alone: the second's secret is not even read
            aws.ops.clear();
            Cli.Result buildOnly = Cli.run(env, "run", "--source", g.dir().toString(), "--no-publish", "--platform", "linux/amd64");
            assertEquals(0, buildOnly.code(), buildOnly.toString());
            assertEquals(List.of(), aws.ops, "no AWS call for a destination a build-only run does not push to");

            // the same user and password would open the first destination too, but the secret was given for the second
            // alone: the run stops before any build, and nothing reaches the second
            GitRepo g2 = GitRepo.init(tmp.resolve("src2")).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n")
                    .write("polyarch.yaml", config.formatted(other.host() + "/first/shop", ecrRegistry.host() + "/second/shop", FakeAws.SECRET_ARN, bases.host()));
            g2.commit("the secret is not for the first");
            Cli.Result scoped = Cli.run(env, "run", "--source", g2.dir().toString());
            assertTrue(scoped.code() != 0, scoped.toString());
            assertTrue(scoped.err().contains(other.host()), "names the registry that refused: " + scoped.err());
            try (RegistryClient c = authed.open(Reference.parse(ecrRegistry.host() + "/second/shop"), false)) {
                assertTrue(c.getManifest("latest").isEmpty(), "nothing published in the second");
            }

            // a secret without a password: exit 2, naming the secret and the shape it needs, not what it holds
            aws.secretString = "{\"username\":\"" + TestRegistry.USER + "\",\"token\":\"tok-" + TestRegistry.PASSWORD + "\"}";
            Cli.Result noPass = Cli.run(env, "run", "--source", g.dir().toString());
            assertEquals(2, noPass.code(), noPass.toString());
            assertTrue(noPass.err().contains(FakeAws.SECRET_ARN + " has no password") && noPass.err().contains("{\"username\": ..., \"password\": ...}"), noPass.err());
            assertFalse(noPass.err().contains(TestRegistry.PASSWORD), noPass.err());
            // not JSON at all (a bare password pasted as the secret): the parser's message, which would quote it, is not shown
            aws.secretString = TestRegistry.PASSWORD;
            Cli.Result bare = Cli.run(env, "run", "--source", g.dir().toString());
            assertEquals(2, bare.code(), bare.toString());
            assertTrue(bare.err().contains("is not JSON"), bare.err());
            assertFalse(bare.err().contains(TestRegistry.PASSWORD), bare.err());
            // no such secret
            aws.secretString = null;
            Cli.Result missing = Cli.run(env, "run", "--source", g.dir().toString());
            assertEquals(2, missing.code(), missing.toString());
            assertTrue(missing.err().contains("polyarch.yaml") && missing.err().contains(FakeAws.SECRET_ARN + " does not exist"), missing.err());
        }
    }
}
