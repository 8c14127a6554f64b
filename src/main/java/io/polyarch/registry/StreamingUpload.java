package io.polyarch.registry;

import io.polyarch.oci.Descriptor;
import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;
import io.polyarch.store.BlobUpload;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * One PATCH whose body streams the bytes as they are produced (chunked transfer encoding), then the PUT with the
 * digest: the requests docker push sends. Bytes wait in a bounded queue; a registry that stops taking them, or any
 * error, abandons the upload without ever failing the producer.
 */
final class StreamingUpload implements BlobUpload {
    /** How many produced chunks may wait for the registry before {@link StreamingUpload#write} waits. */
    static final int QUEUED_CHUNKS = 16;
    /** A registry that takes no bytes for this long ends the streamed upload (the blob is pushed later as usual). */
    static final long STALL_SECONDS = 30;

    private static final byte[] END = new byte[0];
    private static final byte[] ABORT = new byte[0];
    private final java.util.concurrent.BlockingQueue<byte[]> queue = new java.util.concurrent.ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private final java.util.concurrent.CompletableFuture<URI> patched = new java.util.concurrent.CompletableFuture<>();
    private final URI location;
    private volatile String failure;

    private final RegistryCalls calls;

    StreamingUpload(RegistryCalls calls, URI location) {
        this.calls = calls;
        this.location = location;
        Thread.ofPlatform().daemon().name("layer-upload").start(this::patch);
    }

    private void patch() {
        Request.Body body = new Request.Body() {
            private boolean opened;

            @Override
            public long length() {
                return -1;
            }

            @Override
            public synchronized InputStream open() throws IOException {
                if (opened) throw new IOException("a streamed layer cannot be sent twice");
                opened = true;
                return new QueueStream();
            }
        };
        Request req = new Request("PATCH", location, Map.of("Content-Type", List.of("application/octet-stream")), body, false);
        try (Response r = calls.send(req, "stream a layer to " + calls.repo().name(), false)) {
            if (r.status() != 202) {
                fail("the registry answered " + r.status() + " to the streamed PATCH");
            } else {
                patched.complete(calls.resolve(r.header("Location").orElse(location.toString())));
            }
        } catch (StoreException | RuntimeException e) {
            fail(e.getMessage());
        }
    }

    private void fail(String why) {
        if (failure == null) failure = why;
        queue.clear(); // a producer waiting for room goes on
        queue.offer(ABORT); // a body waiting for bytes ends
        patched.complete(null);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        if (failure != null || len == 0) return;
        try {
            if (!queue.offer(java.util.Arrays.copyOfRange(b, off, off + len), STALL_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                fail("the registry took no bytes for " + STALL_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    @Override
    public String commit(Descriptor d) {
        try {
            if (failure == null && !queue.offer(END, STALL_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                fail("the registry took no bytes for " + STALL_SECONDS + " s");
            }
            URI at = failure == null ? patched.get(STALL_SECONDS, java.util.concurrent.TimeUnit.SECONDS) : null;
            if (at == null) {
                abort();
                return failure;
            }
            String action = "commit streamed blob " + d.digest() + " to " + calls.repo().name();
            calls.putUpload(at, d, null, action);
            return null;
        } catch (StoreException e) {
            abort();
            return e.getMessage();
        } catch (java.util.concurrent.TimeoutException e) {
            fail("the registry did not finish reading the layer within " + STALL_SECONDS + " s");
            abort();
            return failure;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            return "interrupted";
        } catch (java.util.concurrent.ExecutionException e) {
            abort();
            return String.valueOf(e.getCause());
        }
    }

    @Override
    public void abort() {
        fail("abandoned");
        try (Response ignored = calls.send(new Request("DELETE", location, Map.of(), null, false), "cancel an upload to " + calls.repo().name(), false)) {
            // an upload session the registry keeps expires on its own
        } catch (StoreException e) {
            // as above
        }
    }

    /** The body of the PATCH: the queued chunks in order, then the end. */
    private final class QueueStream extends InputStream {
        private byte[] current = new byte[0];
        private int pos;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (pos == current.length) {
                if (ended) return -1;
                byte[] next;
                try {
                    next = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while streaming a layer");
                }
                if (next == ABORT) throw new IOException("upload abandoned: " + failure);
                if (next == END) {
                    ended = true;
                    return -1;
                }
                current = next;
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
