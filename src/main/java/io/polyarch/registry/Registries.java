package io.polyarch.registry;

import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.registry.http.Transport;
import io.polyarch.registry.http.Redact;
import io.polyarch.registry.http.UrlConnectionTransport;
import io.polyarch.registry.http.RetryTransport;

import io.polyarch.oci.Reference;
import io.polyarch.registry.auth.AuthSession;
import io.polyarch.registry.auth.AuthTransport;
import io.polyarch.registry.auth.Challenge;
import io.polyarch.registry.auth.CredentialProvider;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry side of one process: one HTTP client, the scheme each host speaks (found by pinging
 * {@code /v2/}), and one {@link AuthSession} per host, shared by every repository client it opens.
 */
public final class Registries implements AutoCloseable {
    private final RegistryOptions options;
    private final CredentialProvider credentials;
    private final Transport base;
    private final AutoCloseable closeable;
    private final Map<String, URI> baseUris = new ConcurrentHashMap<>();
    private final Map<String, AuthSession> sessions = new ConcurrentHashMap<>();

    public Registries(RegistryOptions options, CredentialProvider credentials) {
        this(options, credentials, null);
    }

    /** With {@code transport} null, the JDK HTTP client is used; tests may pass their own. */
    public Registries(RegistryOptions options, CredentialProvider credentials, Transport transport) {
        this.options = options;
        this.credentials = credentials;
        if (transport == null) {
            UrlConnectionTransport conn = new UrlConnectionTransport(options.timeouts(), new io.polyarch.registry.http.TlsPolicy(options.insecureHosts()));
            this.closeable = conn;
            transport = conn;
        } else {
            this.closeable = null;
        }
        String ua = options.userAgent();
        Transport withUa = transport;
        Transport userAgent = r -> withUa.send(r.withHeader("User-Agent", ua));
        this.base = new RetryTransport(new io.polyarch.registry.http.DeadlineTransport(userAgent, options.timeouts()), options.retry());
    }

    public RegistryOptions options() {
        return options;
    }

    /** A client for one repository; {@code push} asks for push scope as well as pull. */
    public RegistryClient open(Reference ref, boolean push) throws RegistryException {
        String registry = ref.apiHost();
        URI baseUri = baseUri(registry);
        AuthSession session = sessions.computeIfAbsent(registry, h -> new AuthSession(h, credentials));
        String scope = "repository:" + ref.repository() + ":" + (push ? "pull,push" : "pull");
        AuthTransport auth = new AuthTransport(base, session, Set.of(scope), baseUri.getScheme());
        return new RegistryClient(ref, baseUri, auth, options);
    }

    /**
     * The base URI for a host: https, or for an insecure host whichever of https and http answers a ping.
     * The ping's 401 challenge is kept, so the first real request already carries credentials.
     */
    URI baseUri(String registry) throws RegistryException {
        URI known = baseUris.get(registry);
        if (known != null) return known;
        String action = "ping registry " + registry;
        IOException last = null;
        // Insecure (loopback or named) hosts are probed over plain HTTP first: a 200/401 from /v2/ settles it, a
        // TLS-only server refuses it at once, and the JDK's TLS handshake against a plain-HTTP server can hang for
        // seconds before failing, which made every local command slow.
        for (String scheme : options.insecure(registry) ? new String[]{"http", "https"} : new String[]{"https"}) {
            URI uri = URI.create(scheme + "://" + registry + "/v2/");
            try (Response r = base.send(Request.get(uri))) {
                if (r.status() == 200 || r.status() == 401) {
                    if (r.status() == 401) {
                        Challenge.parse(r.headerValues("WWW-Authenticate")).ifPresent(c ->
                                sessions.computeIfAbsent(registry, h -> new AuthSession(h, credentials)).challengeFromPing(c));
                    }
                    URI b = URI.create(scheme + "://" + registry);
                    baseUris.put(registry, b);
                    return b;
                }
                if (r.status() == 404) {
                    throw new RegistryException(action, 404, null, "GET /v2/ answered 404: " + registry + " does not serve the registry API", false);
                }
                // any other answer means this scheme is spoken: report it rather than try the other (whose failure,
                // a TLS handshake against plain HTTP, would hide the real one: a 429 or a 503)
                throw new RegistryException(action, r.status(), null, "GET " + uri + " answered HTTP " + r.status()
                        + (r.status() == 429 ? " (rate limited)" : ""), io.polyarch.registry.http.RetryPolicy.retryableStatus(r.status()));
            } catch (SSLException e) {
                last = e;
            } catch (IOException e) {
                last = e;
                if (scheme.equals("http")) continue;
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(action, 0, null, "interrupted", false);
            }
        }
        String why = last == null ? "no answer" : describe(last);
        String hint = options.insecure(registry) ? "" : " (if it serves plain HTTP, pass --insecure-registry " + registry + ")";
        throw new RegistryException(action, 0, null, "cannot reach " + registry + ": " + why + hint, true);
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException) return "connection refused";
        if (e instanceof java.nio.channels.UnresolvedAddressException || e instanceof java.net.UnknownHostException) return "unknown host";
        if (e instanceof SSLException) return "TLS handshake failed (" + Redact.text(m) + ")";
        if (e instanceof java.net.SocketTimeoutException || e instanceof java.net.http.HttpTimeoutException) {
            return "the registry stopped answering (" + (m == null ? "timed out" : Redact.text(m)) + "; POLYARCH_REGISTRY_IDLE_TIMEOUT sets how long a read may wait)";
        }
        if (e instanceof java.net.SocketException || e instanceof java.io.EOFException) {
            return "the connection was dropped" + (m == null ? "" : " (" + Redact.text(m) + ")");
        }
        return (m == null ? e.getClass().getSimpleName() : Redact.text(m));
    }

    @Override
    public void close() {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // nothing left to flush
            }
        }
    }
}
