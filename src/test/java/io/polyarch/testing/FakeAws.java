package io.polyarch.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A recorded-request fake of STS, ECR, KMS and Secrets Manager (one endpoint, as AWS_ENDPOINT_URL points every
 * service at it): it answers GetCallerIdentity, DescribeRepositories, CreateRepository and GetAuthorizationToken
 * (throttling the first token call once), GetPublicKey and Sign, GetSecretValue, and records every request for the
 * test to assert.
 */
public final class FakeAws implements AutoCloseable {
    public static final String ACCOUNT = "123456789012";
    public static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    public final List<String> ops = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final List<ScriptedServer.Req> reqs = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicInteger tokenCalls = new AtomicInteger();
    boolean repoExists;
    public final ScriptedServer server;
    /** The key KMS holds: the fake signs with it as KMS would, and never hands out its private half. */
    public final java.security.KeyPair kmsKey = ecKey();
    /** When set, KMS refuses Sign (a role without kms:Sign). */
    public volatile boolean kmsDenied;
    private final String registryHost;
    /** What Secrets Manager's GetSecretValue gives as SecretString; null: the secret does not exist. */
    public volatile String secretString;

    /** STS and ECR for account {@link #ACCOUNT}; the ECR token opens {@code registryHost} with the test registry's user. */
    public FakeAws(boolean repoExists, String registryHost) throws Exception {
        this.repoExists = repoExists;
        this.registryHost = registryHost;
        server = ScriptedServer.withBodies(this::handle);
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public ScriptedServer.Action handle(ScriptedServer.Req r) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        String target = r.header("X-Amz-Target");
        String op = target != null ? target.substring(target.indexOf('.') + 1) : body.replaceAll("(?s).*Action=([A-Za-z]+).*", "$1");
        ops.add(op);
        reqs.add(r);
        String json = "application/x-amz-json-1.1";
        return switch (op) {
            case "GetCallerIdentity" -> ScriptedServer.Reply.of(200, """
                    <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>\
                    <Arn>arn:aws:iam::%s:user/ci</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult>\
                    <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>""".formatted(ACCOUNT, ACCOUNT),
                    "Content-Type", "text/xml");
            case "DescribeRepositories" -> repoExists
                    ? ScriptedServer.Reply.of(200, repository("MUTABLE", "repositories"), "Content-Type", json)
                    : ScriptedServer.Reply.of(400, "{\"__type\":\"RepositoryNotFoundException\",\"message\":\"The repository with name 'team/app' does not exist\"}",
                    "Content-Type", json);
            case "CreateRepository" -> {
                repoExists = true;
                yield ScriptedServer.Reply.of(200, repository("MUTABLE", "repository"), "Content-Type", json);
            }
            case "GetAuthorizationToken" -> tokenCalls.incrementAndGet() == 1
                    ? ScriptedServer.Reply.of(400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", "Content-Type", json)
                    : ScriptedServer.Reply.of(200, """
                    {"authorizationData":[{"authorizationToken":"%s","expiresAt":1.8E9,"proxyEndpoint":"http://%s"}]}"""
                    .formatted(Base64.getEncoder().encodeToString((TestRegistry.USER + ":" + TestRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8)),
                            registryHost), "Content-Type", json);
            case "GetPublicKey" -> ScriptedServer.Reply.of(200, """
                    {"KeyId":"%s","PublicKey":"%s","KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY","SigningAlgorithms":["ECDSA_SHA_256"]}"""
                    .formatted(KMS_KEY_ARN, Base64.getEncoder().encodeToString(kmsKey.getPublic().getEncoded())), "Content-Type", json);
            case "Sign" -> kmsDenied
                    ? ScriptedServer.Reply.of(400, "{\"__type\":\"AccessDeniedException\",\"message\":\"User is not authorized to perform: kms:Sign\"}",
                    "Content-Type", json)
                    : ScriptedServer.Reply.of(200, """
                    {"KeyId":"%s","Signature":"%s","SigningAlgorithm":"ECDSA_SHA_256"}""".formatted(KMS_KEY_ARN, kmsSign(body)), "Content-Type", json);
            case "GetSecretValue" -> secretString == null
                    ? ScriptedServer.Reply.of(400, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Secrets Manager can't find the specified secret.\"}",
                    "Content-Type", json)
                    : ScriptedServer.Reply.of(200, JsonText.object("ARN", SECRET_ARN, "Name", "ghcr-push", "VersionId", "v1", "SecretString", secretString),
                    "Content-Type", json);
            default -> ScriptedServer.Reply.of(400, "{\"__type\":\"InvalidAction\",\"message\":\"unexpected " + op + "\"}", "Content-Type", json);
        };
    }

    public static final String SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:" + ACCOUNT + ":secret:registry-push-AbCdEf";

    /** A flat JSON object of string fields, escaped by Jackson. */
    static final class JsonText {
        static String object(String... kv) {
            var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            for (int i = 0; i < kv.length; i += 2) o.put(kv[i], kv[i + 1]);
            return o.toString();
        }
    }

    public static final String KMS_KEY_ARN = "arn:aws:kms:us-east-1:" + ACCOUNT + ":key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

    static java.security.KeyPair ecKey() {
        try {
            var g = java.security.KeyPairGenerator.getInstance("EC");
            g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** KMS Sign with MessageType DIGEST: ECDSA over the given SHA-256 digest, DER. */
    private String kmsSign(String body) {
        try {
            var req = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            if (!"DIGEST".equals(req.path("MessageType").asText()) || !"ECDSA_SHA_256".equals(req.path("SigningAlgorithm").asText())) {
                throw new IllegalArgumentException("unexpected Sign request " + body);
            }
            byte[] digest = Base64.getDecoder().decode(req.path("Message").asText());
            var s = java.security.Signature.getInstance("NONEwithECDSA");
            s.initSign(kmsKey.getPrivate());
            s.update(digest);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The KMS key's public half as cosign reads it (cosign.pub). */
    public String kmsPublicPem() {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kmsKey.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** The environment a job with these fake credentials gets. */
    public java.util.Map<String, String> env() {
        return java.util.Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1",
                "AWS_ENDPOINT_URL", url());
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String repository(String mutability, String key) {
        String repo = """
                {"repositoryArn":"arn:aws:ecr:us-east-1:%s:repository/team/app","registryId":"%s","repositoryName":"team/app",\
                "repositoryUri":"%s.dkr.ecr.us-east-1.amazonaws.com/team/app","imageTagMutability":"%s"}""".formatted(ACCOUNT, ACCOUNT, ACCOUNT, mutability);
        return key.equals("repositories") ? "{\"repositories\":[" + repo + "]}" : "{\"repository\":" + repo + "}";
    }
}
