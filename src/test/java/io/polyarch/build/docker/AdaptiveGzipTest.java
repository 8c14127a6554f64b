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
    void sameInputSameBytes() throws Exception {
        byte[] in = random(3 * AdaptiveGzip.CHUNK, 4);
        assertArrayEquals(gzip(in), gzip(in));
    }
}
