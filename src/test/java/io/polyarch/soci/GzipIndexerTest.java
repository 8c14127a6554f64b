package io.polyarch.soci;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GzipIndexerTest {
    static byte[] gzip(byte[] data, int level) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bo) {
            {
                def.setLevel(level);
            }
        }) {
            z.write(data);
        }
        return bo.toByteArray();
    }

    static byte[] jdk(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    static byte[] mixed(int size, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        int i = 0;
        while (i < size) {
            int run = Math.min(size - i, 1 + r.nextInt(5000));
            if (r.nextBoolean()) {
                byte[] rnd = new byte[run];
                r.nextBytes(rnd);
                System.arraycopy(rnd, 0, b, i, run);
            } else {
                String t = "file-" + r.nextInt(1000) + " contents repeat repeat repeat\n";
                for (int k = 0; k < run; k++) b[i + k] = (byte) t.charAt(k % t.length());
            }
            i += run;
        }
        return b;
    }

    static GzipIndexer.Result index(byte[] gz, long span, ByteArrayOutputStream out) throws IOException {
        return GzipIndexer.index(new ByteArrayInputStream(gz), span, (b, off, len) -> out.write(b, off, len));
    }

    @Test
    void decompressesLikeJavaUtilZipAtEveryLevel() throws IOException {
        byte[] data = mixed(3 << 20, 1);
        for (int level : new int[]{0, 1, 6, 9}) {
            byte[] gz = gzip(data, level);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            GzipIndexer.Result r = index(gz, 256 << 10, out);
            assertArrayEquals(jdk(gz), out.toByteArray(), "level " + level);
            assertEquals(data.length, r.uncompressedSize());
            assertEquals(gz.length, r.compressedSize());
            assertTrue(r.checkpoints().size() > 3, "level " + level + ": " + r.checkpoints().size() + " checkpoints");
        }
    }

    @Test
    void everyCheckpointRestartsDecompressionExactly() throws IOException {
        byte[] data = mixed(2 << 20, 2);
        byte[] gz = gzip(data, 6);
        GzipIndexer.Result r = index(gz, 128 << 10, new ByteArrayOutputStream());
        for (GzipIndexer.Checkpoint cp : r.checkpoints()) {
            int from = (int) cp.uncompressedOffset() + 17;
            int len = (int) Math.min(100_000, data.length - from);
            if (len <= 0) continue;
            InputStream tail = new ByteArrayInputStream(gz, (int) cp.byteOffset(), gz.length - (int) cp.byteOffset());
            byte[] got = GzipIndexer.extract(tail, cp, from, len);
            assertArrayEquals(Arrays.copyOfRange(data, from, from + len), got, "from checkpoint at " + cp.uncompressedOffset());
        }
    }

    @Test
    void multiMemberAndEveryHeaderField() throws IOException {
        byte[] a = mixed(300_000, 3);
        byte[] b = mixed(200_000, 4);
        ByteArrayOutputStream cat = new ByteArrayOutputStream();
        cat.write(gzip(a, 6));
        // a member with FEXTRA, FNAME, FCOMMENT and FHCRC, as some tools write
        byte[] member = gzip(b, 1);
        cat.write(new byte[]{0x1f, (byte) 0x8b, 8, (byte) (4 | 8 | 16 | 2), 0, 0, 0, 0, 0, 3});
        cat.write(new byte[]{4, 0, 'x', 'y', 1, 2});
        cat.write("layer.tar\0".getBytes());
        cat.write("a comment\0".getBytes());
        cat.write(new byte[]{0, 0});
        cat.write(member, 10, member.length - 10);
        byte[] gz = cat.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GzipIndexer.Result r = index(gz, 64 << 10, out);
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertArrayEquals(both, out.toByteArray());
        assertEquals(2, r.members());
        assertTrue(r.checkpoints().get(0).memberStart());
        // restart in the second member, from its own checkpoints
        for (GzipIndexer.Checkpoint cp : r.checkpoints()) {
            if (cp.uncompressedOffset() < a.length) continue;
            int from = (int) cp.uncompressedOffset();
            int len = Math.min(5000, both.length - from);
            if (len <= 0) continue;
            byte[] got = GzipIndexer.extract(new ByteArrayInputStream(gz, (int) cp.byteOffset(), gz.length - (int) cp.byteOffset()), cp, from, len);
            assertArrayEquals(Arrays.copyOfRange(both, from, from + len), got);
        }
    }

    @Test
    void spanDigestsAndTheZinfoBlobFollowSoci() throws IOException {
        byte[] gz = gzip(mixed(3 << 20, 7), 6);
        GzipIndexer.Result r = index(gz, 512 << 10, new ByteArrayOutputStream());
        var cps = r.checkpoints();
        assertEquals(cps.size(), r.spanDigests().size());
        assertEquals(10, GzipIndexer.inOffset(cps.get(0)), "the first access point is right after a plain 10-byte gzip header");
        assertEquals(0, cps.get(0).uncompressedOffset());
        for (int i = 0; i < cps.size(); i++) {
            // soci: a span starts at the byte holding its first bit and ends at the next checkpoint's first full byte
            long start = GzipIndexer.inOffset(cps.get(i)) - (GzipIndexer.inBits(cps.get(i)) != 0 ? 1 : 0);
            long end = i + 1 < cps.size() ? GzipIndexer.inOffset(cps.get(i + 1)) : gz.length;
            assertEquals(io.polyarch.oci.Digest.sha256(Arrays.copyOfRange(gz, (int) start, (int) end)).toString(), r.spanDigests().get(i), "span " + i);
            if (i > 0) assertTrue(cps.get(i).uncompressedOffset() - cps.get(i - 1).uncompressedOffset() > 512 << 10);
        }
        byte[] blob = ZtocBuilder.zinfoBlob(cps, 512 << 10);
        assertEquals(12 + cps.size() * (17 + 32768), blob.length);
        var bb = java.nio.ByteBuffer.wrap(blob).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(cps.size(), bb.getInt());
        assertEquals(512 << 10, bb.getLong());
        assertEquals(10, bb.getLong());
        assertEquals(0, bb.getLong());
    }

    @Test
    void badInputIsNamed() throws IOException {
        assertTrue(assertThrows(GzipIndexer.FormatException.class, () -> index("plain tar".getBytes(), 1 << 20, new ByteArrayOutputStream()))
                .getMessage().contains("not gzip"));
        byte[] gz = gzip(mixed(100_000, 5), 6);
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        assertTrue(assertThrows(GzipIndexer.FormatException.class, () -> index(cut, 1 << 20, new ByteArrayOutputStream()))
                .getMessage().contains("truncated"));
        byte[] corrupt = gz.clone();
        corrupt[gz.length - 6] ^= 1; // the CRC
        assertTrue(assertThrows(GzipIndexer.FormatException.class, () -> index(corrupt, 1 << 20, new ByteArrayOutputStream()))
                .getMessage().contains("CRC-32"));
    }

    @Test
    void emptyInput() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GzipIndexer.Result r = index(gzip(new byte[0], 6), 1 << 20, out);
        assertEquals(0, out.size());
        assertEquals(1, r.members());
    }

    @org.junit.jupiter.api.Test
    void aLayerThatWouldNeedTooManyCheckpointsIsRefusedWithTheFix() throws Exception {
        // 160 MiB of zeros, a deflate block every 8 KiB: 20,480 checkpoints, more than the limit; the int size of the zinfo blob
        // overflowed here before (with the config's 64 KiB minimum span, at about 2.8 GB)
        java.io.PipedInputStream in = new java.io.PipedInputStream(1 << 16);
        java.io.PipedOutputStream pipe = new java.io.PipedOutputStream(in);
        Thread writer = Thread.ofPlatform().start(() -> {
            try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(pipe, 1 << 16, true)) {
                byte[] zeros = new byte[8192];
                for (int i = 0; i < 160 * 128; i++) {
                    gz.write(zeros);
                    gz.flush(); // a sync flush ends a deflate block: a place for a checkpoint every 8 KiB
                }
            } catch (java.io.IOException ignored) {
                // the reader gave up
            }
        });
        GzipIndexer.FormatException e = org.junit.jupiter.api.Assertions.assertThrows(GzipIndexer.FormatException.class,
                () -> GzipIndexer.index(in, 4096, new GzipIndexer.Sink() {
                    @Override
                    public void data(byte[] b, int off, int len) {
                    }
                }));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("use a larger span size"), e.getMessage());
        in.close();
        writer.join(10_000);
    }
}
