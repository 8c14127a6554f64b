package io.polyarch.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.polyarch.registry.http.Redact;
import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.registry.http.Transport;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Authenticates requests to one registry host: anonymous, Basic, or Bearer tokens from the challenge's
 * realm (<a href="https://distribution.github.io/distribution/spec/auth/token/">token auth spec</a>) for the
 * scopes this client needs plus any the registry names. On a 401 it asks for a new token covering the
 * challenge's scope and tries again, at most twice, then hands the 401 back. Requests to other hosts
 * (redirect targets) pass through without credentials.
 */
public final class AuthTransport implements Transport {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_AUTH_ROUNDS = 2;
    private final Transport inner;
    private final AuthSession session;
    private final Set<String> scopes = new ConcurrentSkipListSet<>();
    private final String scheme;

    /**
     * @param scheme the scheme the registry was reached on ({@code https}, or {@code http} for a registry allowed plain
     *               HTTP): credentials go only to the registry's host over that scheme, never after a redirect to
     *               plain HTTP on the same host
     */
    public AuthTransport(Transport inner, AuthSession session, Set<String> scopes, String scheme) {
        this.inner = inner;
        this.session = session;
        this.scopes.addAll(scopes);
        this.scheme = scheme;
    }

    /** Adds a scope this client will need, e.g. pull on the source repository of a cross-repo mount. */
    public void addScope(String scope) {
        scopes.add(scope);
    }

    @Override
    public Response send(Request request) throws IOException, InterruptedException {
        if (!authority(request.uri()).equals(session.registry()) || !scheme.equalsIgnoreCase(request.uri().getScheme())) {
            return inner.send(request.withoutHeader("Authorization"));
        }
        Set<String> wanted = new TreeSet<>(scopes);
        Request attempt = authorize(request, wanted);
        for (int round = 0; ; round++) {
            Response r = inner.send(attempt);
            if (r.status() != 401 || round >= MAX_AUTH_ROUNDS) return r;
            var challenge = Challenge.parse(r.headerValues("WWW-Authenticate"));
            if (challenge.isEmpty()) return r;
            Challenge c = challenge.get();
            boolean hadAuth = attempt.header("Authorization") != null;
            if (c.scheme().equals("basic") && (hadAuth || session.credentials().isEmpty())) return r;
            session.forget(String.join(" ", wanted));
            boolean newScope = false;
            for (String one : c.param("scope").orElse("").split(" ")) {
                if (!one.isBlank()) newScope |= wanted.add(one);
            }
            // a second 401 for a token that already covered every scope asked for: more tries will not help
            if (round > 0 && hadAuth && !newScope) return r;
            r.close();
            session.challenge(c);
            attempt = authorize(request, wanted);
        }
    }

    private Request authorize(Request request, Set<String> wanted) throws IOException, InterruptedException {
        Challenge c = session.challenge();
        if (c == null) return request;
        if (c.scheme().equals("basic")) {
            var creds = session.credentials();
            return creds.map(value -> request.withHeader("Authorization", value.basicHeader())).orElse(request);
        }
        String key = String.join(" ", wanted);
        AuthSession.Token t = session.token(key);
        if (t == null) {
            t = fetchToken(c, wanted);
            session.token(key, t);
        }
        return request.withHeader("Authorization", "Bearer " + t.value());
    }

    private AuthSession.Token fetchToken(Challenge c, Set<String> wanted) throws IOException, InterruptedException {
        String realm = c.param("realm").orElseThrow(() -> new IOException(
                "registry " + session.registry() + " asked for a bearer token but named no realm"));
        StringBuilder q = new StringBuilder();
        c.param("service").ifPresent(s -> q.append("service=").append(enc(s)));
        for (String s : wanted) q.append(q.isEmpty() ? "" : "&").append("scope=").append(enc(s));
        var creds = session.credentials();
        Response r;
        URI realmUri;
        try {
            realmUri = new URI(realm);
        } catch (java.net.URISyntaxException e) {
            throw new AuthenticationException(session.registry(), "the registry named a token realm that is not a URL: " + Redact.text(realm));
        }
        String realmScheme = realmUri.getScheme() == null ? "" : realmUri.getScheme().toLowerCase(java.util.Locale.ROOT);
        // credentials go to the realm the registry names, as docker sends them, but only over https (or plain http when
        // the registry itself is reached over plain http: a loopback or --insecure-registry host); never to file: & co.
        if (!realmScheme.equals("https") && !(realmScheme.equals("http") && scheme.equalsIgnoreCase("http")) || realmUri.getHost() == null) {
            throw new AuthenticationException(session.registry(), "the registry named the token realm " + Redact.uri(realmUri)
                    + ", which is not an https URL; polyarch sends no credentials there");
        }
        if (creds.isPresent() && creds.get().hasIdentityToken()) {
            // OAuth2 refresh-token grant, as docker does with an identity token
            String form = q + (q.isEmpty() ? "" : "&") + "grant_type=refresh_token&client_id=polyarch&refresh_token="
                    + enc(creds.get().identityToken());
            r = inner.send(new Request("POST", realmUri, Map.of("Content-Type", java.util.List.of("application/x-www-form-urlencoded")),
                    Request.Body.of(form.getBytes(StandardCharsets.UTF_8)), true));
        } else {
            URI u = URI.create(realm + (realm.contains("?") ? "&" : "?") + q);
            Request tr = Request.get(u);
            if (creds.isPresent()) tr = tr.withHeader("Authorization", creds.get().basicHeader());
            r = inner.send(tr);
        }
        try (r) {
            if (r.status() == 401 || r.status() == 403) {
                throw new AuthenticationException(session.registry(), "the token server " + Redact.uri(realmUri)
                        + (creds.isPresent() ? " rejected the credentials for user '" + creds.get().username() + "'"
                        : " refused anonymous access") + " (HTTP " + r.status() + ")"
                        + (creds.isPresent() ? "; check the username and password" : "; log in with docker login, or pass --username/--password-stdin"));
            }
            if (!r.ok()) {
                throw new IOException("token server " + Redact.uri(realmUri) + " answered HTTP " + r.status());
            }
            byte[] body = r.readBody(1 << 20);
            if (body == null) throw new IOException("token server " + Redact.uri(realmUri) + " sent a response over 1 MiB");
            JsonNode n = MAPPER.readTree(body);
            String token = n.hasNonNull("token") ? n.get("token").asText() : n.path("access_token").asText(null);
            if (token == null || token.isEmpty()) throw new IOException("token server " + Redact.uri(realmUri) + " sent no token");
            long expiresIn = n.path("expires_in").asLong(60);
            return new AuthSession.Token(token, Instant.now().plusSeconds(Math.max(expiresIn, 60)));
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    public static String authority(URI u) {
        return u.getPort() > 0 ? u.getHost() + ":" + u.getPort() : u.getHost();
    }
}
