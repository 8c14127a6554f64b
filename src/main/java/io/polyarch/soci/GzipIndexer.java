package io.polyarch.soci;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A gzip decompressor that also records where decompression can start again (zran-style checkpoints), which
 * the JDK's {@link java.util.zip.Inflater} cannot: a checkpoint is taken at a deflate block boundary once more
 * than {@code spanSize} bytes were produced since the last one, and at the start of every gzip member. Each
 * records the bit position of the block in the compressed stream, the uncompressed offset, and the 32 KiB
 * window before it. One streaming pass; the uncompressed bytes go to a {@link Sink} (the tar parser and the
 * span hashers). Multi-member gzip (pigz, concatenated files) and every header field (FEXTRA, FNAME,
 * FCOMMENT, FHCRC) are handled; each member's CRC-32 and size are checked.
 */
public final class GzipIndexer {
    public static final int WINDOW = 32 * 1024;

    /** Where decompression can restart: the block starts at bit {@code bitOffset} of the compressed stream. */
    public record Checkpoint(long bitOffset, long uncompressedOffset, byte[] window, boolean memberStart) {
        /** The byte holding the block's first bit. */
        public long byteOffset() {
            return bitOffset >>> 3;
        }

        /** How many bits of that byte belong to what came before (0 to 7). */
        public int bitsUsed() {
            return (int) (bitOffset & 7);
        }
    }

    /** {@code spanDigests}: one per checkpoint, over the compressed bytes of its span. */
    public record Result(List<Checkpoint> checkpoints, long compressedSize, long uncompressedSize, int members, List<String> spanDigests) {
    }

    /** Checkpoints per layer at most (each holds a 32 KiB window); soci's 4 MiB span reaches it at 64 GiB. */
    public static final int MAX_CHECKPOINTS = 16_384;

    /** The first full byte after a checkpoint's bit position, what zlib calls {@code in}. */
    public static long inOffset(Checkpoint c) {
        return (c.bitOffset() + 7) >>> 3;
    }

    /** How many bits of the byte before {@link #inOffset} belong to the block (zlib's {@code bits}, 0 to 7). */
    public static int inBits(Checkpoint c) {
        int used = (int) (c.bitOffset() & 7);
        return used == 0 ? 0 : 8 - used;
    }

    @FunctionalInterface
    public interface Sink {
        void data(byte[] b, int off, int len) throws IOException;
    }

    /** The input is not gzip, or it is corrupt or cut short; the message says where. */
    public static final class FormatException extends IOException {
        FormatException(String message) {
            super(message);
        }
    }

    private GzipIndexer() {
    }

    public static Result index(InputStream in, long spanSize, Sink sink) throws IOException {
        return new Run(in, spanSize, sink).run();
    }

    /**
     * Decompresses {@code length} bytes at uncompressed offset {@code start} by starting at a checkpoint, as a lazy
     * loader does: {@code fromCheckpointByte} must deliver the compressed stream from {@link Checkpoint#byteOffset()} on.
     */
    public static byte[] extract(InputStream fromCheckpointByte, Checkpoint cp, long start, int length) throws IOException {
        if (start < cp.uncompressedOffset()) throw new IllegalArgumentException("start " + start + " is before the checkpoint");
        byte[] result = new byte[length];
        int[] filled = {0};
        long[] at = {cp.uncompressedOffset()};
        Run r = new Run(fromCheckpointByte, Long.MAX_VALUE, (b, off, len) -> {
            long chunkStart = at[0];
            at[0] += len;
            long from = Math.max(chunkStart, start);
            long to = Math.min(at[0], start + length);
            if (from < to) {
                System.arraycopy(b, off + (int) (from - chunkStart), result, (int) (from - start), (int) (to - from));
                filled[0] += (int) (to - from);
            }
            if (filled[0] == length) throw new Done();
        });
        try {
            r.resume(cp);
        } catch (Done done) {
            return result;
        }
        if (filled[0] < length) throw new FormatException("the compressed data ended before offset " + (start + length));
        return result;
    }

    private static final class Done extends IOException {
        Done() {
            super("done");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final class Run implements Huffman.Bits {
        private final InputStream in;
        private final long spanSize;
        private final Sink sink;
        private final byte[] inBuf = new byte[1 << 16];
        private int inPos;
        private int inLen;
        private long inBase; // stream offset of inBuf[0]
        private long bitBuf;
        private int bitCount;
        // output: a 64 KiB ring holding the last window plus pending bytes not yet handed to the sink
        private final byte[] out = new byte[1 << 16];
        private int outPos;
        private long total;
        private final CRC32 crc = new CRC32();
        private long memberStart;
        private long lastCheckpointAt = -1;
        private final List<Checkpoint> checkpoints = new ArrayList<>();
        private final byte[] window = new byte[WINDOW];
        private int windowFill; // bytes of history within the current member, capped at WINDOW

        Run(InputStream in, long spanSize, Sink sink) {
            this.in = in;
            this.spanSize = spanSize;
            this.sink = sink;
        }

        /** Continues from a checkpoint: its window is the history, CRC checks start with the next member. */
        void resume(Checkpoint cp) throws IOException {
            bits(cp.bitsUsed());
            System.arraycopy(cp.window(), 0, window, 0, WINDOW);
            windowFill = WINDOW;
            total = cp.uncompressedOffset();
            memberStart = cp.memberStart() ? total : total - WINDOW;
            resumed = !cp.memberStart();
            run(true);
        }

        private boolean resumed;

        Result run() throws IOException {
            return run(false);
        }

        private Result run(boolean fromCheckpoint) throws IOException {
            int members = 0;
            while (true) {
                boolean skipHeader = fromCheckpoint && members == 0;
                if (members > 0) {
                    alignToByte();
                    if (bitCount == 0 && !moreInput()) break;
                }
                if (!skipHeader || !resumed) {
                    if (!skipHeader) header(members == 0);
                    crc.reset();
                    memberStart = total;
                }
                members++;
                // as soci's zinfo (zlib with Z_BLOCK) does: an access point after the first member's header, and after
                // a later member's header only when a span's worth of output has passed; the window runs on across members
                if (!fromCheckpoint && (members == 1 || total - lastCheckpointAt > spanSize)) checkpoint(true);
                boolean last;
                do {
                    if (lastCheckpointAt >= 0 && total - lastCheckpointAt > spanSize) checkpoint(false);
                    last = bits(1) == 1;
                    int type = bits(2);
                    switch (type) {
                        case 0 -> stored();
                        case 1 -> huffman(Huffman.FIXED_LIT, Huffman.FIXED_DIST);
                        case 2 -> dynamic();
                        default -> throw new FormatException("invalid deflate block type 3 at byte " + position());
                    }
                } while (!last);
                flush();
                alignToByte();
                long expectCrc = bytesLE(4);
                long expectSize = bytesLE(4);
                boolean partial = fromCheckpoint && members == 1 && resumed;
                if (!partial && expectCrc != crc.getValue()) throw new FormatException("gzip member " + members + ": CRC-32 mismatch (corrupt data)");
                if (!partial && expectSize != ((total - memberStart) & 0xffffffffL)) throw new FormatException("gzip member " + members + ": length mismatch");
            }
            long compressedSize = inBase + inPos;
            if (!fromCheckpoint) endSpans();
            return new Result(List.copyOf(checkpoints), compressedSize, total, members, List.copyOf(spanDigests));
        }

        // ---- input

        private boolean moreInput() throws IOException {
            if (inPos < inLen) return true;
            hashTo(inBase + inLen);
            if (inLen > 0) lastByteOfPrevious = inBuf[inLen - 1];
            inBase += inLen;
            inPos = 0;
            inLen = 0;
            int n = in.read(inBuf);
            if (n <= 0) return false;
            inLen = n;
            return true;
        }

        private int nextByte() throws IOException {
            if (inPos >= inLen && !moreInput()) throw new FormatException("gzip data ends early (truncated layer?) at byte " + (inBase + inPos));
            return inBuf[inPos++] & 0xff;
        }

        /** Bit position of the next unread bit in the compressed stream. */
        @Override
        public long position() {
            return (inBase + inPos) * 8 - bitCount;
        }

        private int bits(int n) throws IOException {
            while (bitCount < n) {
                bitBuf |= (long) nextByte() << bitCount;
                bitCount += 8;
            }
            int v = (int) (bitBuf & ((1L << n) - 1));
            bitBuf >>>= n;
            bitCount -= n;
            return v;
        }

        private void alignToByte() {
            int drop = bitCount & 7;
            bitBuf >>>= drop;
            bitCount -= drop;
        }

        /** Reads n bytes little-endian after byte alignment (bits still buffered come first). */
        private long bytesLE(int n) throws IOException {
            long v = 0;
            for (int i = 0; i < n; i++) v |= (long) bits(8) << (8 * i);
            return v;
        }

        private void header(boolean first) throws IOException {
            int id1 = bits(8), id2 = bits(8);
            if (id1 != 0x1f || id2 != 0x8b) {
                throw new FormatException(first ? "not gzip data (no 1f 8b magic at the start)" : "garbage after gzip member at byte " + (position() / 8 - 2));
            }
            if (bits(8) != 8) throw new FormatException("gzip compression method is not deflate");
            int flags = bits(8);
            bytesLE(6); // mtime, xfl, os
            if ((flags & 4) != 0) {
                int xlen = (int) bytesLE(2);
                for (int i = 0; i < xlen; i++) bits(8);
            }
            if ((flags & 8) != 0) while (bits(8) != 0) { /* file name */ }
            if ((flags & 16) != 0) while (bits(8) != 0) { /* comment */ }
            if ((flags & 2) != 0) bytesLE(2);
            if ((flags & 0xe0) != 0) throw new FormatException("gzip header has reserved flags set");
        }

        // ---- output

        private void put(int b) throws IOException {
            out[outPos++] = (byte) b;
            total++;
            if (outPos == out.length) flush();
        }

        private void flush() throws IOException {
            if (outPos == 0) return;
            crc.update(out, 0, outPos);
            sink.data(out, 0, outPos);
            // keep the window: last WINDOW bytes of this member's output
            if (outPos >= WINDOW) {
                System.arraycopy(out, outPos - WINDOW, window, 0, WINDOW);
            } else {
                System.arraycopy(window, outPos, window, 0, WINDOW - outPos);
                System.arraycopy(out, 0, window, WINDOW - outPos, outPos);
            }
            windowFill = (int) Math.min(WINDOW, windowFill + (long) outPos);
            outPos = 0;
        }

        /** The byte {@code dist} back from the current output position (1 = the last one written). */
        private int back(int dist) throws FormatException {
            if (dist > total - memberStart) throw new FormatException("deflate distance " + dist + " goes back before the start of the data");
            if (dist <= outPos) return out[outPos - dist] & 0xff;
            return window[WINDOW - (dist - outPos)] & 0xff;
        }

        // ---- span digests: SHA-256 of the compressed bytes of each span, from the byte holding a checkpoint's first bit
        // to the first full byte of the next checkpoint (or the end of the stream), as soci's getPerSpanDigests reads them

        private java.security.MessageDigest spanHash;
        private long hashedUpTo;
        private byte lastByteOfPrevious;
        private final List<String> spanDigests = new ArrayList<>();

        /** Adds compressed bytes up to (not including) absolute offset {@code end} to the current span's digest. */
        private void hashTo(long end) {
            if (spanHash == null || end <= hashedUpTo) return;
            int from = (int) (hashedUpTo - inBase);
            if (from < 0) {
                // only the one byte before this buffer can be asked for (a span starting inside an already-read byte)
                spanHash.update(lastByteOfPrevious);
                from = 0;
            }
            spanHash.update(inBuf, from, (int) (end - inBase) - from);
            hashedUpTo = end;
        }

        private void startSpan(long bitOffset) {
            long in = (bitOffset + 7) >>> 3;
            boolean bitsUsed = (bitOffset & 7) != 0;
            if (spanHash != null) {
                hashTo(in);
                spanDigests.add(io.polyarch.oci.Digest.ofSha256(spanHash).toString());
            }
            spanHash = io.polyarch.oci.Digest.newSha256();
            hashedUpTo = bitsUsed ? in - 1 : in;
        }

        /** Reads what is left after the last member (nothing, for a well-formed layer) so that the last span covers it. */
        private void endSpans() throws IOException {
            do {
                inPos = inLen; // moreInput() hashes each buffer before it refills
            } while (moreInput());
            if (spanHash != null) spanDigests.add(io.polyarch.oci.Digest.ofSha256(spanHash).toString());
            spanHash = null;
        }

        private void checkpoint(boolean member) throws IOException {
            startSpan(position());
            flush();
            byte[] w = new byte[WINDOW];
            int n = Math.min(windowFill, WINDOW);
            System.arraycopy(window, WINDOW - n, w, WINDOW - n, n);
            if (checkpoints.size() >= MAX_CHECKPOINTS) {
                // each keeps a 32 KiB window in memory and in the zTOC: past this the index would not be worth its size
                throw new FormatException("the layer needs more than " + MAX_CHECKPOINTS + " spans of " + spanSize + " bytes (it is over "
                        + (total >> 20) + " MiB uncompressed); use a larger span size (soci: spanSize, --span-size)");
            }
            checkpoints.add(new Checkpoint(position(), total, w, member));
            lastCheckpointAt = total;
        }

        // ---- blocks

        private void stored() throws IOException {
            alignToByte();
            int len = (int) bytesLE(2);
            int nlen = (int) bytesLE(2);
            if ((len ^ 0xffff) != nlen) throw new FormatException("stored block length check failed at byte " + position() / 8);
            for (int i = 0; i < len; i++) put(bits(8));
        }

        private void dynamic() throws IOException {
            int hlit = bits(5) + 257, hdist = bits(5) + 1, hclen = bits(4) + 4;
            int[] order = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
            int[] clen = new int[19];
            for (int i = 0; i < hclen; i++) clen[order[i]] = bits(3);
            Huffman codeLen = Huffman.of(clen, 19);
            int[] lens = new int[hlit + hdist];
            int i = 0;
            while (i < hlit + hdist) {
                int sym = codeLen.decode(this);
                if (sym < 16) {
                    lens[i++] = sym;
                } else {
                    int rep, val = 0;
                    if (sym == 16) {
                        if (i == 0) throw new FormatException("repeat of no length in a dynamic block");
                        val = lens[i - 1];
                        rep = 3 + bits(2);
                    } else if (sym == 17) {
                        rep = 3 + bits(3);
                    } else {
                        rep = 11 + bits(7);
                    }
                    if (i + rep > hlit + hdist) throw new FormatException("too many code lengths in a dynamic block");
                    while (rep-- > 0) lens[i++] = val;
                }
            }
            if (lens[256] == 0) throw new FormatException("dynamic block without an end-of-block code");
            int[] lit = java.util.Arrays.copyOfRange(lens, 0, hlit);
            int[] dist = java.util.Arrays.copyOfRange(lens, hlit, hlit + hdist);
            huffman(Huffman.of(lit, hlit), Huffman.of(dist, hdist));
        }

        private static final int[] LEN_BASE = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
        private static final int[] LEN_EXTRA = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
        private static final int[] DIST_BASE = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                4097, 6145, 8193, 12289, 16385, 24577};
        private static final int[] DIST_EXTRA = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

        private void huffman(Huffman lit, Huffman dist) throws IOException {
            while (true) {
                int sym = lit.decode(this);
                if (sym < 256) {
                    put(sym);
                } else if (sym == 256) {
                    return;
                } else {
                    sym -= 257;
                    if (sym >= 29) throw new FormatException("invalid length code at byte " + position() / 8);
                    int len = LEN_BASE[sym] + bits(LEN_EXTRA[sym]);
                    int ds = dist.decode(this);
                    if (ds >= 30) throw new FormatException("invalid distance code at byte " + position() / 8);
                    int d = DIST_BASE[ds] + bits(DIST_EXTRA[ds]);
                    for (int k = 0; k < len; k++) put(back(d));
                }
            }
        }

        @Override
        public int peek(int n) throws IOException {
            while (bitCount < n) {
                if (inPos >= inLen && !moreInput()) return (int) (bitBuf & ((1L << n) - 1)); // near the end: decode with what is left
                bitBuf |= (long) (inBuf[inPos++] & 0xff) << bitCount;
                bitCount += 8;
            }
            return (int) (bitBuf & ((1L << n) - 1));
        }

        @Override
        public void consume(int n) throws IOException {
            if (n > bitCount) throw new FormatException("gzip data ends early (truncated layer?) at byte " + (inBase + inPos));
            bitBuf >>>= n;
            bitCount -= n;
        }
    }
}
