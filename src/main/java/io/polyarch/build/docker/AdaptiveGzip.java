package io.polyarch.build.docker;

import io.polyarch.oci.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip for layers, fast and deterministic. Deflate level 1, chunk by chunk; a chunk that does not shrink
 * (already-compressed content: jars, images, archives, random data) switches the next chunks to stored blocks,
 * re-probing level 1 every few chunks. zlib spends as long failing to compress such data as compressing text
 * (about 30 MB/s here), so this is what keeps exporting a built image off the critical path. The output is a
 * plain single-member gzip any client reads, and depends only on the input: an unchanged layer gives the
 * same blob digest every time.
 */
final class AdaptiveGzip {
    static final int CHUNK = 1 << 20;
    /** A chunk that compresses to more than this fraction of its size is treated as incompressible. */
    static final double INCOMPRESSIBLE = 0.97;
    static final int REPROBE_EVERY = 8;
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    /** The uncompressed digest (the layer's diff_id) and size. */
    record Result(Digest diffId, long size) {
    }

    private AdaptiveGzip() {
    }

    static Result compress(InputStream in, OutputStream out) throws IOException {
        MessageDigest md = Digest.newSha256();
        CRC32 crc = new CRC32();
        Deflater def = new Deflater(1, true);
        try {
            out.write(HEADER);
            byte[] inBuf = new byte[CHUNK];
            byte[] outBuf = new byte[CHUNK + (CHUNK >> 4) + 64];
            int level = 1;
            int storedRun = 0;
            long total = 0;
            int n;
            while ((n = in.readNBytes(inBuf, 0, CHUNK)) > 0) {
                md.update(inBuf, 0, n);
                crc.update(inBuf, 0, n);
                total += n;
                def.setLevel(level);
                def.setInput(inBuf, 0, n);
                long before = def.getBytesWritten();
                int w;
                do {
                    w = def.deflate(outBuf, 0, outBuf.length, Deflater.SYNC_FLUSH);
                    out.write(outBuf, 0, w);
                } while (w == outBuf.length || !def.needsInput());
                long produced = def.getBytesWritten() - before;
                if (level == 1 && produced > n * INCOMPRESSIBLE) {
                    level = Deflater.NO_COMPRESSION;
                    storedRun = 0;
                } else if (level == Deflater.NO_COMPRESSION && ++storedRun >= REPROBE_EVERY) {
                    level = 1;
                }
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
        }
    }
}
