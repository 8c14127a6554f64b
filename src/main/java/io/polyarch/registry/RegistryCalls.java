package io.polyarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Reference;
import io.polyarch.registry.auth.AuthTransport;
import io.polyarch.registry.auth.AuthenticationException;
import io.polyarch.registry.http.Redact;
import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.registry.http.RetryPolicy;
import io.polyarch.store.DigestMismatchException;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one way a repository's calls reach the registry: through the auth transport (which gives credentials only to
 * the registry host), redirects followed for reads, and every failure turned into a {@link StoreException} that names
 * the action ("push blob sha256:... to host/repo") and, where it can be told, what to do.
 */
final class RegistryCalls {
    private final Reference repo;
    private final URI base;
    private final AuthTransport transport;
    private final RegistryOptions options;

    RegistryCalls(Reference repo, URI base, AuthTransport transport, RegistryOptions options) {
        this.repo = repo;
        this.base = base;
        this.transport = transport;
        this.options = options;
    }

    Reference repo() {
        return repo;
    }

    /** Lets the next token also cover another repository (a mount's source). */
    void addScope(String scope) {
        transport.addScope(scope);
    }

    URI url(String path) {
        return base.resolve("/v2/" + repo.repository() + path);
    }

    URI resolve(String location) {
        return base.resolve(location);
    }

    /** Sends, following redirects for GET/HEAD; the auth layer gives credentials only to the registry host. */
    Response send(Request req, String action, boolean followRedirects) throws StoreException {
        try {
            Response r = transport.send(req);
            for (int hop = 0; followRedirects && hop < 5 && isRedirect(r.status()); hop++) {
                Optional<String> loc = r.header("Location");
                r.close();
                if (loc.isEmpty()) throw new RegistryException(action, r.status(), null, "redirect without Location", false);
                URI target;
                try {
                    target = req.uri().resolve(new URI(loc.get()));
                } catch (java.net.URISyntaxException bad) {
                    throw new RegistryException(action, r.status(), null, "redirect to a Location that is not a URL", false);
                }
                String ts = target.getScheme() == null ? "" : target.getScheme().toLowerCase(java.util.Locale.ROOT);
                if (!ts.equals("http") && !ts.equals("https") || target.getHost() == null) {
                    throw new RegistryException(action, r.status(), null, "redirect to " + ts + ": " + "(not HTTP); not followed", false);
                }
                Request next = req.withUri(target).withoutHeader("Authorization");
                r = transport.send(next);
                req = next;
            }
            return r;
        } catch (AuthenticationException e) {
            throw new RegistryException(action, 401, "UNAUTHORIZED", e.getMessage(), false);
        } catch (IOException e) {
            throw ioError(action, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(action, "interrupted", false, e);
        }
    }

    /** Reads a response: its status checks and its body; an IOException means the body broke off. */
    @FunctionalInterface
    interface Reading<T> {
        T read(Response r) throws IOException, StoreException;
    }

    /**
     * Sends a GET whose answer is small and read whole (a manifest, a page of tags), and sends it again when the
     * connection drops in the middle of the body: the transport's retries end once the headers have arrived.
     */
    <T> T read(Request req, String action, Reading<T> reading) throws StoreException {
        for (int attempt = 1; ; attempt++) {
            try (Response r = send(req, action, true)) {
                return reading.read(r);
            } catch (IOException e) {
                if (attempt >= options.retry().maxAttempts()) throw ioError(action, e);
            }
            pause(attempt, action);
        }
    }

    /** The backoff before attempt {@code attempt + 1} of a whole exchange (an upload, a read). */
    void pause(int attempt, String action) throws StoreException {
        try {
            Thread.sleep(options.retry().backoff(attempt, java.util.concurrent.ThreadLocalRandom.current()).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(action, "interrupted");
        }
    }

    private static boolean isRedirect(int s) {
        return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
    }

    static StoreException ioError(String action, IOException e) {
        if (e.getCause() instanceof StoreException se) {
            return se instanceof DigestMismatchException dm ? dm : new StoreException(action, se.getMessage(), se.retryable(), se);
        }
        return new StoreException(action, Registries.describe(e), true, e);
    }

    /** Turns an error response into an exception naming what failed and, where we can tell, what to do. */
    RegistryException error(String action, Response r) {
        String body = Redact.text(r.errorBody());
        r.close();
        String code = null;
        String message = null;
        try {
            JsonNode n = OciJson.readTree(body.getBytes(StandardCharsets.UTF_8), "error");
            JsonNode first = n.path("errors").path(0);
            if (!first.isMissingNode()) {
                code = first.path("code").asText(null);
                message = first.path("message").asText(null);
            }
        } catch (IllegalArgumentException notJson) {
            // plain-text error bodies are reported as they are, shortened
        }
        String text = "HTTP " + r.status() + (code != null ? " " + code : "")
                + (message != null ? ": " + message : body.isBlank() ? "" : ": " + abbreviate(body.strip()));
        String hint = switch (r.status()) {
            case 401 -> " (not authenticated: log in with docker login, set REGISTRY_AUTH_FILE, or pass --username/--password-stdin)";
            case 403 -> " (the credentials are not allowed this; check the repository's permissions)";
            case 429 -> " (rate limited; retried " + options.retry().maxAttempts() + " times)";
            default -> "";
        };
        if (r.status() == 404) return new RegistryException(action, 404, code, text, false);
        return new RegistryException(action, r.status(), code, text + hint, RetryPolicy.retryableStatus(r.status()));
    }

    private static String abbreviate(String s) {
        s = s.replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** The PUT that ends an upload session, with the blob's digest (the registry checks it). */
    void putUpload(URI location, Descriptor d, Request.Body body, String action) throws StoreException {
        String sep = location.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(location + sep + "digest=" + URLEncoder.encode(d.digest().toString(), StandardCharsets.UTF_8));
        Request req = new Request("PUT", put, Map.of("Content-Type", List.of("application/octet-stream")), body, false);
        try (Response r = send(req, action, false)) {
            if (r.status() != 201 && r.status() != 204) throw error(action, r);
        }
    }
}
