package io.polyarch.registry.http;

import io.polyarch.registry.RegistryOptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one TLS rule of the transports, and the plain-HTTP rule beside it. */
class TlsPolicyTest {
    @Test
    void onlyTheNamedHostOrStarSkipsVerification() {
        TlsPolicy p = new TlsPolicy(Set.of("reg.internal:5443"));
        assertFalse(p.verifies(URI.create("https://reg.internal:5443/v2/")));
        assertTrue(p.verifies(URI.create("https://reg.internal/v2/")), "another port of the host is verified");
        assertTrue(p.verifies(URI.create("https://other.example/v2/")));
        assertSame(TrustAllContext.get(), p.context(URI.create("https://reg.internal:5443/v2/")));
        assertNotSame(TrustAllContext.get(), p.context(URI.create("https://other.example/v2/")));
        TlsPolicy star = new TlsPolicy(Set.of("*"));
        assertFalse(star.verifies(URI.create("https://anything.example/v2/")), "'*' means every host, in every transport");
        assertTrue(TlsPolicy.verifyAll().verifies(URI.create("https://reg.internal:5443/v2/")));
    }

    @Test
    void plainHttpOnlyForLoopbackAddressesOrNamedHosts() {
        RegistryOptions o = RegistryOptions.defaults();
        assertTrue(o.insecure("localhost:5000"));
        assertTrue(o.insecure("127.0.0.1:5000"));
        assertTrue(o.insecure("127.1.2.3"));
        assertTrue(o.insecure("[::1]:5000"));
        assertFalse(o.insecure("127.evil.example.com"), "a name that starts with 127. is not loopback");
        assertFalse(o.insecure("127.0.0.1.evil.example:5000"));
        assertFalse(o.insecure("registry.example.com"));
        assertTrue(o.withInsecure(Set.of("registry.example.com")).insecure("registry.example.com"));
    }

    /** The trust-all context, as the package sees it. */
    static final class TrustAllContext {
        static javax.net.ssl.SSLContext get() {
            return TrustAll.CONTEXT;
        }
    }
}
