package io.polyarch.registry.auth;

import java.io.IOException;

/** The registry or its token server refused the credentials we have (or the lack of them). */
public class AuthenticationException extends IOException {
    private final String registry;

    public AuthenticationException(String registry, String message) {
        super("authentication to " + registry + " failed: " + message);
        this.registry = registry;
    }

    public String registry() {
        return registry;
    }
}
