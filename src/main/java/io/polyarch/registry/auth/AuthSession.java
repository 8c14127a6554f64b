package io.polyarch.registry.auth;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one process knows about authenticating to one registry host: the last challenge seen (so later
 * requests authenticate up front instead of taking a 401 each) and bearer tokens by scope set.
 */
public final class AuthSession {
    private final String registry;
    private final CredentialProvider credentials;
    private volatile Challenge challenge;
    private volatile Optional<Credentials> resolved;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    record Token(String value, Instant expires) {
        boolean fresh() {
            return Instant.now().isBefore(expires.minusSeconds(5));
        }

        @Override
        public String toString() {
            return "Token[redacted]";
        }
    }

    public AuthSession(String registry, CredentialProvider credentials) {
        this.registry = registry;
        this.credentials = credentials;
    }

    public String registry() {
        return registry;
    }

    Challenge challenge() {
        return challenge;
    }

    void challenge(Challenge c) {
        this.challenge = c;
    }

    /** Seeds the challenge from the /v2/ ping, without a scope: scopes come from the client. */
    public void challengeFromPing(Challenge c) {
        if (challenge == null) challenge = c;
    }

    Optional<Credentials> credentials() throws java.io.IOException {
        Optional<Credentials> r = resolved;
        if (r == null) {
            r = credentials.credentialsFor(registry);
            resolved = r;
        }
        return r;
    }

    Token token(String scopeKey) {
        Token t = tokens.get(scopeKey);
        return t != null && t.fresh() ? t : null;
    }

    void token(String scopeKey, Token t) {
        tokens.put(scopeKey, t);
    }

    void forget(String scopeKey) {
        tokens.remove(scopeKey);
    }
}
