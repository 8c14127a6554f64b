package io.polyarch.build.docker;

import io.polyarch.oci.Digest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdaptiveGzipTest {
    static byte[] gzip(byte[] in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AdaptiveGzip.Result r = AdaptiveGzip.compress(new ByteArrayInputStream(in), out);
        assertEquals(Digest.sha256(in), r.diffId());
        assertEquals(in.length, r.size());
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    static byte[] text(int size) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < size) sb.append("line ").append(i++).append(" of a very compressible log file\n");
        return sb.substring(0, size).getBytes();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void roundTripsEveryKindOfContentThroughJavaUtilZip() throws Exception {
        byte[] mixed = new byte[5 * AdaptiveGzip.CHUNK + 12345];
        System.arraycopy(text(2 * AdaptiveGzip.CHUNK), 0, mixed, 0, 2 * AdaptiveGzip.CHUNK);
        System.arraycopy(random(3 * AdaptiveGzip.CHUNK + 12345, 1), 0, mixed, 2 * AdaptiveGzip.CHUNK, 3 * AdaptiveGzip.CHUNK + 12345);
        for (byte[] in : new byte[][]{new byte[0], text(10), text(3 * AdaptiveGzip.CHUNK + 7), random(AdaptiveGzip.CHUNK * 12, 2), mixed}) {
            assertArrayEquals(in, gunzip(gzip(in)));
        }
    }

    @Test
    void compressesTextAndStoresIncompressibleChunks() throws Exception {
        byte[] t = text(4 * AdaptiveGzip.CHUNK);
        assertTrue(gzip(t).length < t.length / 4, "text must compress");
        byte[] r = random(20 * AdaptiveGzip.CHUNK, 3);
        // stored blocks cost 5 bytes per 64 KiB; level-1 probes of random data cost about as much
        assertTrue(gzip(r).length < r.length * 1.002, "random data must not grow: " + gzip(r).length);
    }

    @Test
    void chunksStoredAndDeflatedInTurnJoinIntoOneStreamThatGzipAndJavaBothRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int c = AdaptiveGzip.CHUNK;
        byte[] in = new byte[6 * c + 99];
        byte[] noise = random(in.length, 5);
        byte[] t = text(in.length);
        for (int i = 0; i < 6; i++) System.arraycopy(i % 2 == 0 ? noise : t, i * c, in, i * c, c); // stored, deflated, stored, ...
        // a compressible chunk that repeats the tail of the stored chunk before it: the deflater may refer back to
        // those bytes only if it was given them as its dictionary
        System.arraycopy(in, 3 * c - 5000, in, 3 * c, 5000);
        System.arraycopy(t, 0, in, 6 * c, 99);
        byte[] gz = gzip(in);
        assertArrayEquals(in, gunzip(gz));
        assertTrue(gz.length < in.length * 0.6, "the text half must still compress: " + gz.length);
        // and the gzip tool (another inflater than the JDK's) agrees, with its own check of CRC and length
        java.nio.file.Path f = dir.resolve("layer.gz");
        java.nio.file.Files.write(f, gz);
        Process p = new ProcessBuilder("gzip", "-dc", f.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "gzip -d failed");
        assertArrayEquals(in, out);
    }

    @Test
    void storedBlocksAreWhatRfc1951Says() {
        byte[] in = random(AdaptiveGzip.STORED_MAX + 10, 6);
        byte[] out = new byte[in.length + 10];
        assertEquals(in.length + 10, AdaptiveGzip.stored(in, in.length, out));
        assertEquals(0, out[0]);
        assertEquals(AdaptiveGzip.STORED_MAX, (out[1] & 0xff) | (out[2] & 0xff) << 8);
        assertEquals(0, (out[3] & 0xff) | (out[4] & 0xff) << 8);
        int second = 5 + AdaptiveGzip.STORED_MAX;
        assertEquals(10, (out[second + 1] & 0xff) | (out[second + 2] & 0xff) << 8);
        assertEquals(~10 & 0xffff, (out[second + 3] & 0xff) | (out[second + 4] & 0xff) << 8);
    }

    @Test
    void sameInputSameBytes() throws Exception {
        byte[] in = random(3 * AdaptiveGzip.CHUNK, 4);
        assertArrayEquals(gzip(in), gzip(in));
    }
}
