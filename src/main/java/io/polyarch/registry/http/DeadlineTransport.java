package io.polyarch.registry.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Puts an overall deadline on every response body ({@link Timeouts#bodyDeadline}), on top of the transports' idle
 * timeout: a server that sends a byte every few seconds never trips the idle timeout, and would hold the run forever.
 */
public final class DeadlineTransport implements Transport {
    private final Transport inner;
    private final Timeouts timeouts;

    public DeadlineTransport(Transport inner, Timeouts timeouts) {
        this.inner = inner;
        this.timeouts = timeouts;
    }

    @Override
    public Response send(Request request) throws IOException, InterruptedException {
        Response r = inner.send(request);
        long start = System.nanoTime(); // from the headers on: a long upload before them is not the body's time
        long length = Math.max(-1, r.contentLength());
        long deadline = start + timeouts.bodyDeadline(length).toNanos();
        InputStream body = r.body() == null ? null : new FilterInputStream(r.body()) {
            private long read;

            private void check() throws IOException {
                if (System.nanoTime() - deadline > 0) {
                    long secs = (System.nanoTime() - start) / 1_000_000_000L;
                    in.close();
                    throw new IOException("the registry sent " + read + " bytes of " + Redact.uri(request.uri()) + " in " + secs + " s"
                            + (length >= 0 ? " (of " + length + ")" : "") + ": slower than " + timeouts.minBytesPerSecond()
                            + " bytes/s after " + timeouts.base().toSeconds() + " s; given up");
                }
            }

            @Override
            public int read() throws IOException {
                check();
                int b = super.read();
                if (b >= 0) read++;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                check();
                int n = super.read(b, off, len);
                if (n > 0) read += n;
                return n;
            }
        };
        return new Response(r.status(), r.headers(), body, r.uri());
    }
}
