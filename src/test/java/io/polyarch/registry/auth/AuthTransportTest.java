package io.polyarch.registry.auth;

import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.registry.http.Transport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where credentials may go: the registry's host over the scheme it was reached on, and https token realms. */
class AuthTransportTest {
    static final Credentials CREDS = new Credentials("ci", "s3cret-password");

    /** Answers 401 with a Basic challenge until it sees credentials, then 200; records what it was sent. */
    static final class Recorder implements Transport {
        final List<Request> sent = new ArrayList<>();
        final String challenge;

        Recorder(String challenge) {
            this.challenge = challenge;
        }

        @Override
        public Response send(Request r) {
            sent.add(r);
            boolean authed = r.header("Authorization") != null;
            return new Response(authed ? 200 : 401, authed ? Map.of() : Map.of("WWW-Authenticate", List.of(challenge)),
                    new ByteArrayInputStream(new byte[0]), r.uri());
        }
    }

    private static AuthTransport transport(Recorder inner, String scheme) {
        AuthSession session = new AuthSession("reg.example:5000", r -> r.equals("reg.example:5000") ? Optional.of(CREDS) : Optional.empty());
        return new AuthTransport(inner, session, java.util.Set.of("repository:app:pull"), scheme);
    }

    @Test
    void credentialsGoToTheRegistryOverItsOwnSchemeOnly() throws Exception {
        Recorder inner = new Recorder("Basic realm=\"registry\"");
        AuthTransport t = transport(inner, "https");
        try (Response r = t.send(Request.get(URI.create("https://reg.example:5000/v2/app/manifests/v1")))) {
            assertEquals(200, r.status());
        }
        assertTrue(inner.sent.get(inner.sent.size() - 1).header("Authorization").startsWith("Basic "));
        // the same host, but plain http (a redirect, or a hostile Location): no credentials, not even the cached ones
        inner.sent.clear();
        try (Response r = t.send(Request.get(URI.create("http://reg.example:5000/v2/app/blobs/sha256:x")).withHeader("Authorization", "Basic leaked"))) {
            assertEquals(401, r.status());
        }
        assertEquals(1, inner.sent.size());
        assertNull(inner.sent.get(0).header("Authorization"), "nothing in clear text");
        // another host: nothing either
        inner.sent.clear();
        try (Response ignored = t.send(Request.get(URI.create("https://cdn.example/blob")))) {
            assertNull(inner.sent.get(0).header("Authorization"));
        }
    }

    @Test
    void aTokenRealmThatIsNotHttpsGetsNoCredentials() {
        for (String realm : List.of("file:///etc/passwd", "http://tokens.example/token", "gopher://x/", "not a url")) {
            Recorder inner = new Recorder("Bearer realm=\"" + realm + "\",service=\"reg\"");
            AuthTransport t = transport(inner, "https");
            IOException e = assertThrows(IOException.class, () -> t.send(Request.get(URI.create("https://reg.example:5000/v2/app/manifests/v1"))));
            assertTrue(e instanceof AuthenticationException, realm + ": " + e);
            assertTrue(e.getMessage().contains("polyarch sends no credentials there") || e.getMessage().contains("not a URL"), e.getMessage());
            assertTrue(inner.sent.stream().noneMatch(r -> !r.uri().getHost().equals("reg.example")), "nothing sent to " + realm);
            assertTrue(!e.getMessage().contains("s3cret-password"));
        }
    }
}
