package io.polyarch.build.docker;

import io.polyarch.oci.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip for layers, fast and deterministic. Each 1 MiB chunk is deflated at level 1, unless a 16 KiB sample of it
 * does not shrink at level 1 (already-compressed content: jars, images, archives, random data): then it is written
 * as stored blocks. zlib spends as long failing to compress such data as compressing text (about 30 MB/s here),
 * so this is what keeps exporting a built image off the critical path. The stored blocks are written here, not by
 * zlib at level 0 (which still copies every byte through its window: 50 ms for 25 MiB); every chunk ends on a byte
 * boundary (a sync flush, or a stored block), so the two kinds join, and after stored chunks the deflater restarts
 * with their last 32 KiB as its dictionary, so it never refers to bytes it did not see. The output is a plain
 * single-member gzip any client reads, and depends only on the input: an unchanged layer gives the same blob
 * digest every time.
 */
final class AdaptiveGzip {
    static final int CHUNK = 1 << 20;
    /** A chunk that compresses to more than this fraction of its size is treated as incompressible. */
    static final double INCOMPRESSIBLE = 0.97;
    static final int SAMPLE = 16 << 10;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    /** Deflate's window: how far back a compressed block may refer. */
    static final int WINDOW = 32 << 10;
    /** The most a stored block holds. */
    static final int STORED_MAX = 65535;

    /**
     * {@code len} bytes as non-final stored blocks (RFC 1951 3.2.4), starting on a byte boundary: each block is a
     * header byte (BFINAL 0, BTYPE 00, padding), LEN and its one's complement, then the bytes. Returns the length
     * written to {@code out}, which must hold {@code len} plus 5 bytes per 64 KiB.
     */
    static int stored(byte[] in, int len, byte[] out) {
        int o = 0;
        for (int off = 0; off < len; off += STORED_MAX) {
            int l = Math.min(STORED_MAX, len - off);
            out[o] = 0;
            out[o + 1] = (byte) l;
            out[o + 2] = (byte) (l >>> 8);
            out[o + 3] = (byte) ~l;
            out[o + 4] = (byte) (~l >>> 8);
            System.arraycopy(in, off, out, o + 5, l);
            o += 5 + l;
        }
        return o;
    }

    /** The uncompressed digest (the layer's diff_id) and size. */
    record Result(Digest diffId, long size) {
    }

    private AdaptiveGzip() {
    }

    /** Whether a sample shrinks at level 1 (about 0.3 ms for 16 KiB of random data). */
    private static boolean compressible(Deflater probe, byte[] buf, int len, byte[] out) {
        probe.reset();
        probe.setInput(buf, 0, len);
        probe.finish();
        long produced = 0;
        while (!probe.finished()) produced += probe.deflate(out);
        return produced <= len * INCOMPRESSIBLE;
    }

    static Result compress(InputStream in, OutputStream out) throws IOException {
        MessageDigest md = Digest.newSha256();
        CRC32 crc = new CRC32();
        Deflater def = new Deflater(1, true);
        // the uncompressed side's SHA-256 and CRC run on a second thread, a chunk behind the deflater (two buffers
        // alternate; a buffer is refilled only once its hashing is done); they are a third of the work
        java.util.concurrent.ExecutorService hasher = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().daemon().name("layer-hash").unstarted(r));
        java.util.concurrent.Future<?>[] pending = new java.util.concurrent.Future<?>[2];
        try {
            out.write(HEADER);
            byte[][] inBufs = {new byte[CHUNK], new byte[CHUNK]};
            byte[] outBuf = new byte[CHUNK + (CHUNK >> 4) + 64];
            Deflater probe = new Deflater(1, true);
            byte[] probeOut = new byte[SAMPLE + (SAMPLE >> 4) + 64];
            byte[] window = new byte[WINDOW];
            int windowLen = 0;
            boolean bypassed = false;
            long total = 0;
            int n;
            int k = 0;
            try {
                while ((n = in.readNBytes(inBufs[k], 0, CHUNK)) > 0) {
                    byte[] inBuf = inBufs[k];
                    int len = n;
                    pending[k] = hasher.submit(() -> {
                        md.update(inBuf, 0, len);
                        crc.update(inBuf, 0, len);
                    });
                    total += n;
                    if (compressible(probe, inBuf, Math.min(n, SAMPLE), probeOut)) {
                        if (bypassed) {
                            def.reset();
                            def.setDictionary(window, 0, windowLen);
                            bypassed = false;
                        }
                        def.setInput(inBuf, 0, n);
                        int w;
                        do {
                            w = def.deflate(outBuf, 0, outBuf.length, Deflater.SYNC_FLUSH);
                            out.write(outBuf, 0, w);
                        } while (w == outBuf.length || !def.needsInput());
                    } else {
                        out.write(outBuf, 0, stored(inBuf, n, outBuf));
                        // the deflater did not see these bytes: it starts again from their end when it is next used
                        windowLen = Math.min(n, WINDOW);
                        System.arraycopy(inBuf, n - windowLen, window, 0, windowLen);
                        bypassed = true;
                    }
                    k ^= 1;
                    await(pending[k]);
                }
                await(pending[k ^ 1]);
            } finally {
                probe.end();
            }
            def.finish();
            while (!def.finished()) {
                int w = def.deflate(outBuf);
                out.write(outBuf, 0, w);
            }
            long c = crc.getValue();
            out.write(new byte[]{(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
                    (byte) total, (byte) (total >> 8), (byte) (total >> 16), (byte) (total >> 24)});
            return new Result(Digest.ofSha256(md), total);
        } finally {
            def.end();
            hasher.shutdownNow();
        }
    }

    private static void await(java.util.concurrent.Future<?> f) throws IOException {
        if (f == null) return;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while hashing a layer");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("hashing a layer failed: " + e.getCause(), e.getCause());
        }
    }
}
