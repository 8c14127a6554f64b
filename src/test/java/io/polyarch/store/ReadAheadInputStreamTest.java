package io.polyarch.store;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadAheadInputStreamTest {
    @Test
    void deliversTheSameBytesInAnyReadSizes() throws IOException {
        byte[] data = new byte[3_000_017];
        new Random(1).nextBytes(data);
        // a source that returns short reads, as a socket does
        InputStream trickle = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7919));
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new ReadAheadInputStream(trickle, 1 << 16, 4)) {
            byte[] buf = new byte[10_007];
            out.write(in.read());
            for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void aSourceErrorReachesTheConsumerAfterTheBytesBeforeIt() throws IOException {
        byte[] data = new byte[200_000];
        InputStream failing = new InputStream() {
            int pos;

            @Override
            public int read() throws IOException {
                if (pos == data.length) throw new IOException("read blob: connection reset");
                return data[pos++] & 0xff;
            }
        };
        try (InputStream in = new ReadAheadInputStream(failing, 4096, 2)) {
            assertEquals(data.length, in.readNBytes(data.length).length);
            IOException e = assertThrows(IOException.class, in::read);
            assertTrue(e.getMessage().contains("read blob"), e.getMessage());
        }
    }

    @Test
    void closingEarlyStopsTheReader() throws Exception {
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 1;
            }
        };
        ReadAheadInputStream in = new ReadAheadInputStream(endless, 1024, 2);
        in.read();
        in.close();
        Thread.sleep(300);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("read-ahead") && t.isAlive()),
                "the read-ahead thread ended");
    }
}
