package io.polyarch.registry;

import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.registry.http.Transport;
import io.polyarch.registry.http.JdkTransport;
import io.polyarch.registry.http.RetryTransport;
import io.polyarch.registry.http.RetryPolicy;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.store.DigestMismatchException;
import io.polyarch.store.StoreException;
import io.polyarch.testing.ScriptedServer;
import io.polyarch.testing.ScriptedServer.Drop;
import io.polyarch.testing.ScriptedServer.Reply;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registry behaviours a real registry will not produce on demand, scripted at the HTTP level. */
class ScriptedRegistryTest {
    static final RegistryOptions FAST = RegistryOptions.defaults()
            .withRetry(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(20)));
    static final String MANIFEST = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
            + "a".repeat(64) + "\",\"size\":2},\"layers\":[]}";

    static RegistryClient client(Registries r, ScriptedServer s, String repo) throws Exception {
        return r.open(Reference.parse(s.host() + "/" + repo), true);
    }

    @Test
    void honoursRetryAfterOn429ThenSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (ScriptedServer s = new ScriptedServer(req -> {
            if (req.path().equals("/v2/")) return Reply.of(200, "{}");
            return calls.incrementAndGet() < 3 ? Reply.of(429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}", "Retry-After", "7")
                    : Reply.of(200, MANIFEST, "Content-Type", MediaType.OCI_MANIFEST.value());
        })) {
            List<Duration> slept = new ArrayList<>();
            Transport chain = new RetryTransport(new JdkTransport(Duration.ofSeconds(5), io.polyarch.registry.http.TlsPolicy.verifyAll()),
                    new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(30)), java.util.random.RandomGenerator.of("L64X128MixRandom"), slept::add);
            try (Response r = chain.send(Request.get(java.net.URI.create("http://" + s.host() + "/v2/app/manifests/v1")))) {
                assertEquals(200, r.status());
            }
            assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(7)), slept, "waits what Retry-After says");
        }
    }

    @Test
    void givesUpOn429AfterBoundedTriesWithAClearError() throws Exception {
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : Reply.of(429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}", "Retry-After", "0"));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").getManifest("v1"));
            assertTrue(e.getMessage().contains("HTTP 429 TOOMANYREQUESTS: slow down"), e.getMessage());
            assertTrue(e.getMessage().contains("get manifest " + s.host() + "/app:v1"), e.getMessage());
            assertEquals(4, s.requests("GET", "/v2/app/manifests").size());
        }
    }

    @Test
    void restartsAnUploadWhoseConnectionDroppedHalfWay() throws Exception {
        byte[] blob = new byte[300_000];
        new java.util.Random(1).nextBytes(blob);
        Digest d = Digest.sha256(blob);
        AtomicInteger puts = new AtomicInteger();
        List<byte[]> stored = new ArrayList<>();
        try (ScriptedServer s = new ScriptedServer(req -> {
            if (req.path().equals("/v2/")) return Reply.of(200, "{}");
            if (req.method().equals("HEAD")) return Reply.of(404, "");
            if (req.method().equals("POST")) return Reply.of(202, "", "Location", "/v2/app/blobs/uploads/u" + puts.get() + "?_state=SECRETSTATE");
            if (req.method().equals("PUT")) {
                if (puts.incrementAndGet() == 1) return new Drop(100_000);
                return Reply.of(201, "", "Docker-Content-Digest", d.toString());
            }
            return Reply.of(500, "");
        }); Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            client(r, s, "app").putBlob(Descriptor.of(MediaType.OCI_LAYER_GZIP, d, blob.length), () -> new ByteArrayInputStream(blob));
            assertEquals(2, s.requests("POST", "/v2/app/blobs/uploads/").size(), "a fresh upload session after the drop");
            var puts2 = s.requests("PUT", "/v2/app/blobs/uploads/");
            assertEquals(2, puts2.size(), "the dropped PUT and the one that completed");
            var complete = puts2.stream().filter(p -> p.body().length > 0).toList();
            assertEquals(1, complete.size());
            assertArrayEquals(blob, complete.get(0).body());
            assertTrue(complete.get(0).path().contains("digest=" + d.toString().replace(":", "%3A")), complete.get(0).path());
        }
    }

    @Test
    void asksForANewTokenWhenTheRegistryNamesANewScope() throws Exception {
        List<String> tokenQueries = new ArrayList<>();
        try (ScriptedServer auth = new ScriptedServer(req -> {
            tokenQueries.add(java.net.URLDecoder.decode(req.path(), StandardCharsets.UTF_8));
            String scopes = req.path().contains("other") ? "both" : "one";
            return Reply.of(200, "{\"token\":\"tok-" + scopes + "\",\"expires_in\":300}");
        })) {
            String realm = "http://" + auth.host() + "/token";
            try (ScriptedServer s = new ScriptedServer(req -> {
                String a = req.header("Authorization");
                if (req.path().equals("/v2/")) return Reply.of(401, "", "WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"reg\"");
                if (req.path().startsWith("/v2/app/blobs/uploads/?mount")) {
                    if (!"Bearer tok-both".equals(a)) {
                        return Reply.of(401, "", "WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"reg\",scope=\"repository:other:pull\"");
                    }
                    return Reply.of(201, "");
                }
                return Reply.of(401, "");
            }); Registries r = new Registries(FAST, CredentialProvider.fixed("127.0.0.1:" + 0, new Credentials("u", "p")))) {
                boolean mounted = client(r, s, "app").mount(Digest.sha256(new byte[0]), Reference.parse(s.host() + "/other"));
                assertTrue(mounted);
                // the client asks up front for what it knows it needs: push on app and pull on the mount source
                assertTrue(tokenQueries.stream().anyMatch(q -> q.contains("scope=repository:app:pull,push") && q.contains("scope=repository:other:pull")),
                        tokenQueries.toString());
            }
        }
    }

    @Test
    void refreshesATokenOn401WithANewScopeItDidNotKnowAbout() throws Exception {
        List<String> tokenQueries = new ArrayList<>();
        try (ScriptedServer auth = new ScriptedServer(req -> {
            String q = java.net.URLDecoder.decode(req.path(), StandardCharsets.UTF_8);
            tokenQueries.add(q);
            return Reply.of(200, "{\"token\":\"" + (q.contains("catalog") ? "tok-wide" : "tok-narrow") + "\"}");
        })) {
            String realm = "http://" + auth.host() + "/token";
            try (ScriptedServer s = new ScriptedServer(req -> {
                String a = req.header("Authorization");
                if (req.path().equals("/v2/")) return Reply.of(401, "", "WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"reg\"");
                if (!"Bearer tok-wide".equals(a)) {
                    return Reply.of(401, "", "WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"reg\",scope=\"registry:catalog:*\"");
                }
                return Reply.of(200, "{\"name\":\"app\",\"tags\":[\"a\"]}");
            }); Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
                assertEquals(List.of("a"), client(r, s, "app").listTags());
                assertEquals(2, tokenQueries.size(), tokenQueries.toString());
                assertTrue(tokenQueries.get(1).contains("scope=registry:catalog:*") && tokenQueries.get(1).contains("scope=repository:app:pull,push"));
            }
        }
    }

    @Test
    void neverForwardsCredentialsToARedirectHost() throws Exception {
        byte[] blob = "layer bytes".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(blob);
        try (ScriptedServer cdn = new ScriptedServer(req -> Reply.bytes(200, blob), "127.0.0.2")) {
            try (ScriptedServer s = new ScriptedServer(req -> {
                if (req.path().equals("/v2/")) return Reply.of(401, "", "WWW-Authenticate", "Basic realm=\"reg\"");
                if (req.header("Authorization") == null) return Reply.of(401, "", "WWW-Authenticate", "Basic realm=\"reg\"");
                return Reply.of(307, "", "Location", "http://127.0.0.2:" + cdn.port() + "/blob?X-Amz-Signature=SIG");
            }); Registries withCreds = new Registries(FAST, host -> host.equals(s.host())
                    ? java.util.Optional.of(new Credentials("user", "hunter2")) : java.util.Optional.empty())) {
                try (InputStream in = client(withCreds, s, "app").openBlob(Descriptor.of(MediaType.OCI_LAYER, d, blob.length))) {
                    assertArrayEquals(blob, in.readAllBytes());
                }
                assertNull(cdn.requests.get(0).header("Authorization"), "the redirect host must not see the registry's credentials");
                assertTrue(s.requests("GET", "/v2/app/blobs/").stream().anyMatch(q -> q.header("Authorization") != null));
            }
        }
    }

    @Test
    void rejectsContentThatDoesNotMatchItsDigest() throws Exception {
        byte[] claimed = "the real layer".getBytes(StandardCharsets.UTF_8);
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : req.path().contains("/manifests/") ? Reply.of(200, MANIFEST, "Content-Type", MediaType.OCI_MANIFEST.value())
                : Reply.bytes(200, "an evil layer!".getBytes(StandardCharsets.UTF_8)));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            RegistryClient c = client(r, s, "app");
            try (InputStream in = c.openBlob(Descriptor.of(MediaType.OCI_LAYER, Digest.sha256(claimed), claimed.length))) {
                var e = assertThrows(java.io.IOException.class, in::readAllBytes);
                assertTrue(e.getCause() instanceof DigestMismatchException, String.valueOf(e.getCause()));
            }
            // a manifest asked for by digest must hash to that digest
            Digest wrong = Digest.sha256("something else".getBytes());
            assertThrows(DigestMismatchException.class, () -> c.getManifest(wrong.toString()));
            // by tag, the digest is computed over the bytes as received
            RawManifest m = c.getManifest("v1").orElseThrow();
            assertEquals(Digest.sha256(MANIFEST.getBytes(StandardCharsets.UTF_8)), m.digest());
        }
    }

    @Test
    void refusesOversizedManifestsAndRedactsSecretsInErrors() throws Exception {
        String huge = "{\"schemaVersion\":2,\"x\":\"" + "a".repeat(5 << 20) + "\"}";
        try (ScriptedServer s = new ScriptedServer(req -> {
            if (req.path().equals("/v2/")) return Reply.of(200, "{}");
            if (req.path().contains("/manifests/big")) return Reply.of(200, huge, "Content-Type", MediaType.OCI_MANIFEST.value());
            return Reply.of(403, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"token Bearer eyJhbGciOiJSUzI1NiJ9.c2VjcmV0 is not allowed\"}]}");
        }); Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            RegistryClient c = client(r, s, "app");
            StoreException big = assertThrows(StoreException.class, () -> c.getManifest("big"));
            assertTrue(big.getMessage().contains("manifest larger than 4194304 bytes"), big.getMessage());
            StoreException denied = assertThrows(StoreException.class, () -> c.getManifest("v1"));
            assertTrue(denied.getMessage().contains("HTTP 403 DENIED"), denied.getMessage());
            assertFalse(denied.getMessage().contains("eyJhbGciOiJSUzI1NiJ9"), denied.getMessage());
        }
    }

    @Test
    void followsTagListPaginationAndFallsBackToTheReferrersTag() throws Exception {
        Digest subject = Digest.sha256("subject".getBytes());
        String fallback = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + "b".repeat(64) + "\",\"size\":10,\"artifactType\":\"application/vnd.amazon.soci.index.v1+json\"}]}";
        try (ScriptedServer s = new ScriptedServer(req -> {
            if (req.path().equals("/v2/")) return Reply.of(200, "{}");
            if (req.path().equals("/v2/app/tags/list?n=1000")) {
                return Reply.of(200, "{\"tags\":[\"a\",\"b\"]}", "Link", "</v2/app/tags/list?n=1000&last=b>; rel=\"next\"");
            }
            if (req.path().equals("/v2/app/tags/list?n=1000&last=b")) return Reply.of(200, "{\"tags\":[\"c\"]}");
            if (req.path().startsWith("/v2/app/referrers/")) return Reply.of(404, "404 page not found");
            if (req.path().equals("/v2/app/manifests/sha256-" + subject.hex())) {
                return Reply.of(200, fallback, "Content-Type", MediaType.OCI_INDEX.value());
            }
            return Reply.of(404, "");
        }); Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            RegistryClient c = client(r, s, "app");
            assertEquals(List.of("a", "b", "c"), c.listTags());
            var refs = c.referrers(subject);
            assertEquals(1, refs.size());
            assertEquals("application/vnd.amazon.soci.index.v1+json", refs.get(0).artifactType());
        }
    }

    @Test
    void chunkedUploadSendsContentRanges() throws Exception {
        byte[] blob = new byte[25_000];
        new java.util.Random(3).nextBytes(blob);
        Digest d = Digest.sha256(blob);
        try (ScriptedServer s = new ScriptedServer(req -> {
            if (req.path().equals("/v2/")) return Reply.of(200, "{}");
            if (req.method().equals("HEAD")) return Reply.of(404, "");
            if (req.method().equals("POST")) return Reply.of(202, "", "Location", "/v2/app/blobs/uploads/x?_state=0");
            if (req.method().equals("PATCH")) return Reply.of(202, "", "Location", "/v2/app/blobs/uploads/x?_state=" + req.body().length);
            return Reply.of(201, "");
        }); Registries r = new Registries(FAST.withChunkSize(10_000), CredentialProvider.ANONYMOUS)) {
            client(r, s, "app").putBlob(Descriptor.of(MediaType.OCI_LAYER, d, blob.length), () -> new ByteArrayInputStream(blob));
            var patches = s.requests("PATCH", "/v2/app/blobs/uploads/x");
            assertEquals(List.of("0-9999", "10000-19999", "20000-24999"), patches.stream().map(p -> p.header("Content-Range")).toList());
            var out = new java.io.ByteArrayOutputStream();
            patches.forEach(p -> out.writeBytes(p.body()));
            assertArrayEquals(blob, out.toByteArray());
            assertEquals(0, s.requests("PUT", "/").get(0).body().length);
        }
    }

    @Test
    void aRedirectToANonHttpLocationIsNamedNotFollowed() throws Exception {
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : Reply.of(307, "", "Location", "file:///etc/passwd"));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            Descriptor d = Descriptor.of(MediaType.OCI_LAYER_GZIP, Digest.sha256(new byte[]{1}), 1);
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").openBlob(d).readAllBytes());
            assertTrue(e.getMessage().contains("redirect to file:") && e.getMessage().contains("not followed"), e.getMessage());
        }
    }

    @Test
    void aRateLimitedPingIsReportedAsSuchNotAsATlsFailure() throws Exception {
        try (ScriptedServer s = new ScriptedServer(req -> Reply.of(429, "{}", "Retry-After", "0"));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").getManifest("v1"));
            assertTrue(e.getMessage().contains("HTTP 429 (rate limited)"), e.getMessage());
            assertTrue(!e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("tls") && !e.getMessage().contains("handshake"), e.getMessage());
        }
    }

    @Test
    void aContentLengthThatIsNotANumberIsAClearFailure() throws Exception {
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : Reply.of(200, "", "Content-Length", "12abc"));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            Exception e = assertThrows(Exception.class, () -> client(r, s, "app").statBlob(Digest.sha256(new byte[]{2})));
            assertTrue(e instanceof StoreException, "a store failure (exit 1), not " + e);
            assertTrue(!e.getMessage().contains("For input string"), e.getMessage());
        }
    }

    @Test
    void escapeSequencesInAnErrorBodyNeverReachTheTerminal() throws Exception {
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : Reply.of(400, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"\\u001b[2J\\u001b]0;pwned\\u0007gotcha\"}]}"));
             Registries r = new Registries(FAST, CredentialProvider.ANONYMOUS)) {
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").getManifest("v1"));
            java.io.StringWriter err = new java.io.StringWriter();
            io.polyarch.cli.Main.execute(new String[]{"inspect", "--insecure-registry", s.host(), s.host() + "/app:v1"},
                    new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err, true), java.util.Map.of());
            assertTrue(err.toString().contains("gotcha"), err.toString());
            assertTrue(err.toString().chars().noneMatch(c -> c == 0x1b || c == 0x07), "no escape or bell character: " + err.toString().replace("\u001b", "ESC"));
            assertTrue(e.getMessage().contains("gotcha"));
        }
    }

    @Test
    void aServerThatTricklesOrStallsIsGivenUpOnInBoundedTime() throws Exception {
        byte[] manifest = MANIFEST.getBytes(StandardCharsets.UTF_8);
        RegistryOptions quick = FAST.withTimeouts(new io.polyarch.registry.http.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1), 1 << 20));
        // a byte every 100 ms: the idle timeout (1 s) never trips, the body deadline (1 s + size / 1 MiB/s) does
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : new ScriptedServer.Trickle(200, manifest, 100));
             Registries r = new Registries(quick, CredentialProvider.ANONYMOUS)) {
            long t0 = System.nanoTime();
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").getManifest("v1"));
            long secs = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(e.getMessage().contains("slower than") && e.getMessage().contains("given up"), e.getMessage());
            assertTrue(secs < 15, "gave up after " + secs + " s (with retries)");
        }
        // headers, then nothing: the idle timeout
        try (ScriptedServer s = new ScriptedServer(req -> req.path().equals("/v2/") ? Reply.of(200, "{}")
                : new ScriptedServer.Trickle(200, manifest, 30_000));
             Registries r = new Registries(quick, CredentialProvider.ANONYMOUS)) {
            long t0 = System.nanoTime();
            StoreException e = assertThrows(StoreException.class, () -> client(r, s, "app").getManifest("v1"));
            long secs = (System.nanoTime() - t0) / 1_000_000_000L;
            assertTrue(secs < 15, "gave up after " + secs + " s: " + e.getMessage());
        }
    }
}
