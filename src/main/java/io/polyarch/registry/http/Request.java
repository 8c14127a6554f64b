package io.polyarch.registry.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request as the transport chain sees it. Bodies are re-openable so a decorator can send a
 * request again (after a token refresh or a retry) without the caller buffering it.
 *
 * @param idempotent whether sending it twice is harmless: only such requests are retried on a dropped
 *                   connection or a 5xx (a blob upload's final PUT is not; the client restarts the whole upload)
 */
public record Request(String method, URI uri, Map<String, List<String>> headers, Body body, boolean idempotent) {
    public Request {
        Objects.requireNonNull(method);
        Objects.requireNonNull(uri);
        headers = Map.copyOf(headers);
    }

    /**
     * Headers a transport sets itself from the request (framing, connection, host) and never copies from the
     * caller's headers, lower case.
     */
    static final java.util.Set<String> TRANSPORT_HEADERS = java.util.Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding");

    public static Request get(URI uri) {
        return new Request("GET", uri, Map.of(), null, true);
    }

    public static Request head(URI uri) {
        return new Request("HEAD", uri, Map.of(), null, true);
    }

    public Request withHeader(String name, String value) {
        Map<String, List<String>> h = new LinkedHashMap<>(headers);
        h.put(name, List.of(value));
        return new Request(method, uri, h, body, idempotent);
    }

    public Request withoutHeader(String name) {
        Map<String, List<String>> h = new LinkedHashMap<>(headers);
        h.keySet().removeIf(k -> k.equalsIgnoreCase(name));
        return new Request(method, uri, h, body, idempotent);
    }

    public Request withUri(URI u) {
        return new Request(method, u, headers, body, idempotent);
    }

    public String header(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) return e.getValue().get(0);
        }
        return null;
    }

    /**
     * A request body that can be read more than once, of a known length; or, with a negative length, streamed as it
     * is produced (chunked), which can be sent once only: a second {@link #open} fails, and so does the request.
     */
    public interface Body {
        long length();

        InputStream open() throws IOException;

        static Body of(byte[] bytes) {
            return new Body() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public InputStream open() {
                    return new java.io.ByteArrayInputStream(bytes);
                }
            };
        }
    }

    /** The request line with the query dropped: upload URLs and presigned redirects carry secrets there. */
    public String describe() {
        return method + " " + Redact.uri(uri);
    }
}
