package io.polyarch.build.docker;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackgroundOutputStreamTest {
    @Test
    void everyByteArrivesInOrderEvenWhenTheWriterReusesItsBuffer() throws Exception {
        byte[] all = new byte[3 * BackgroundOutputStream.LIMIT + 12345];
        new Random(1).nextBytes(all);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        byte[] buf = new byte[70000];
        try (BackgroundOutputStream out = new BackgroundOutputStream(sink, "test")) {
            for (int off = 0; off < all.length; ) {
                int n = Math.min(buf.length, all.length - off);
                System.arraycopy(all, off, buf, 0, n);
                out.write(buf, 0, n);
                java.util.Arrays.fill(buf, (byte) 0); // reused at once, as a compressor's output buffer is
                off += n;
            }
            out.write(all, 0, 0);
            out.write(7);
        }
        byte[] expected = java.util.Arrays.copyOf(all, all.length + 1);
        expected[all.length] = 7;
        assertArrayEquals(expected, sink.toByteArray());
    }

    @Test
    void aFailingStreamFailsTheWriterOrTheClose() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        IOException e = assertThrows(IOException.class, () -> {
            try (BackgroundOutputStream out = new BackgroundOutputStream(broken, "test")) {
                for (int i = 0; i < 100; i++) out.write(new byte[1 << 20], 0, 1 << 20);
            }
        });
        assertEquals("No space left on device", e.getMessage());
        assertTrue(e.getStackTrace().length > 0);
    }
}
