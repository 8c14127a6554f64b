package io.polyarch.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on another thread, a few chunks ahead of the consumer, so that the network, TLS and the digest
 * check of a blob run beside whatever consumes it (SOCI's inflater) instead of in turn with it. Errors of the source
 * are thrown to the consumer at the point where they happened; closing stops the reader.
 */
public final class ReadAheadInputStream extends InputStream {
    private static final byte[] END = new byte[0];

    private final InputStream source;
    private final BlockingQueue<Object> chunks;
    private final Thread reader;
    private byte[] current = new byte[0];
    private int pos;
    private boolean done;
    private volatile boolean closed;

    public ReadAheadInputStream(InputStream source, int chunkSize, int depth) {
        this.source = source;
        this.chunks = new ArrayBlockingQueue<>(depth);
        this.reader = Thread.ofPlatform().daemon().name("read-ahead").start(() -> pump(chunkSize));
    }

    private void pump(int chunkSize) {
        try {
            while (!closed) {
                byte[] buf = new byte[chunkSize];
                int fill = 0;
                try {
                    for (int n; fill < chunkSize && (n = source.read(buf, fill, chunkSize - fill)) > 0; ) fill += n;
                } catch (IOException | RuntimeException e) {
                    if (fill > 0) put(java.util.Arrays.copyOf(buf, fill)); // the bytes before the error are the consumer's
                    throw e;
                }
                if (fill > 0) put(fill == chunkSize ? buf : java.util.Arrays.copyOf(buf, fill));
                if (fill < chunkSize) {
                    put(END);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            try {
                put(e);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits for room, but gives up once the consumer has closed (nobody would take it). */
    private void put(Object o) throws InterruptedException {
        while (!closed) {
            if (chunks.offer(o, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) return;
        }
    }

    private boolean next() throws IOException {
        if (done) return false;
        Object o;
        try {
            o = chunks.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading ahead");
        }
        if (o instanceof IOException e) {
            done = true;
            throw e;
        }
        if (o instanceof RuntimeException e) {
            done = true;
            throw e;
        }
        current = (byte[]) o;
        pos = 0;
        if (current == END) {
            done = true;
            return false;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        while (pos == current.length) if (!next()) return -1;
        return current[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pos == current.length) if (!next()) return -1;
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        reader.interrupt();
        chunks.clear();
        source.close();
    }
}
