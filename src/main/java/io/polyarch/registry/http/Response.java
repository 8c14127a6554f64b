package io.polyarch.registry.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An HTTP response whose body is a stream the caller must close (or read to the end). */
public record Response(int status, Map<String, List<String>> headers, InputStream body, URI uri) implements AutoCloseable {
    /** Error bodies are read up to this many bytes, never more (ggcr does the same). */
    public static final int MAX_ERROR_BODY = 64 * 1024;

    public Optional<String> header(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) return Optional.of(e.getValue().get(0));
        }
        return Optional.empty();
    }

    /**
     * A {@code Content-Length} value as a size: -1 when there is none, -2 when it is not a decimal number (a hostile
     * or broken server; {@code Long.parseLong} would take "+5" and fail with a stack trace on "12abc").
     */
    public static long parseLength(String value) {
        if (value == null) return -1;
        String v = value.strip();
        return v.matches("[0-9]{1,18}") ? Long.parseLong(v) : -2;
    }

    /** This response's {@code Content-Length} as {@link #parseLength} reads it. */
    public long contentLength() {
        return parseLength(header("Content-Length").orElse(null));
    }

    public List<String> headerValues(String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
        }
        return List.of();
    }

    public boolean ok() {
        return status >= 200 && status < 300;
    }

    /** Reads at most {@code limit} bytes; returns null past the limit so callers can say "too large". */
    public byte[] readBody(int limit) throws IOException {
        if (body == null) return new byte[0];
        try (InputStream in = body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > limit) return null;
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** Reads the start of an error body, capped, and drops the rest. */
    public String errorBody() {
        if (body == null) return "";
        try (InputStream in = body) {
            byte[] b = in.readNBytes(MAX_ERROR_BODY);
            return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (body != null) {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing a finished response stream cannot lose data
            }
        }
    }
}
