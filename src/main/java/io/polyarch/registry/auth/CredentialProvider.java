package io.polyarch.registry.auth;

import java.util.List;
import java.util.Optional;

/** Finds credentials for a registry host ({@code host[:port]}). */
@FunctionalInterface
public interface CredentialProvider {
    Optional<Credentials> credentialsFor(String registry) throws java.io.IOException;

    CredentialProvider ANONYMOUS = r -> Optional.empty();

    /** The first provider with an answer wins (flags, then auth files, then docker config). */
    static CredentialProvider firstOf(List<CredentialProvider> providers) {
        return registry -> {
            for (CredentialProvider p : providers) {
                Optional<Credentials> c = p.credentialsFor(registry);
                if (c.isPresent()) return c;
            }
            return Optional.empty();
        };
    }

    static CredentialProvider fixed(String registry, Credentials credentials) {
        return r -> r.equals(registry) ? Optional.of(credentials) : Optional.empty();
    }
}
