package io.polyarch.registry.http;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * Which registries' TLS certificates are verified: all, except the hosts the user named insecure
 * ({@code --insecure-registry HOST[:PORT]}, or {@code *} for every host). The one rule every transport asks, so that
 * they cannot disagree. Whether plain HTTP is tried is a separate decision ({@code RegistryOptions.insecure}).
 */
public record TlsPolicy(Set<String> insecureHosts) {
    public TlsPolicy {
        insecureHosts = Set.copyOf(insecureHosts);
    }

    public static TlsPolicy verifyAll() {
        return new TlsPolicy(Set.of());
    }

    /** {@code host[:port]} as the user names a registry (the port only when the URI has one). */
    public static String authority(URI uri) {
        return uri.getPort() > 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost();
    }

    /** False when the user asked not to verify this host's certificate. */
    public boolean verifies(URI uri) {
        return !insecureHosts.contains("*") && !insecureHosts.contains(authority(uri));
    }

    /** The TLS context for a connection to {@code uri}. */
    public SSLContext context(URI uri) {
        if (!verifies(uri)) return TrustAll.CONTEXT;
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context in this JVM", e);
        }
    }

    public SSLSocketFactory socketFactory(URI uri) {
        return context(uri).getSocketFactory();
    }
}
