package io.polyarch.build.docker;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** A minimal streaming tar reader for {@code docker save} output: ustar, GNU long names and PAX path records. */
final class TarReader {
    record Entry(String name, char type, long size) {
        boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    private final InputStream in;
    private long remaining;
    private long padding;
    private final byte[] header = new byte[512];

    TarReader(InputStream in) {
        this.in = in;
    }

    Entry next() throws IOException {
        skip(remaining + padding);
        remaining = 0;
        padding = 0;
        String longName = null;
        while (true) {
            if (!readFully(header)) return null;
            if (allZero(header)) return null;
            String name = str(header, 0, 100);
            String prefix = str(header, 345, 155);
            if (!prefix.isEmpty() && "ustar".equals(str(header, 257, 5))) name = prefix + "/" + name;
            char type = (char) header[156];
            long size = octal(header, 124, 12);
            long pad = (512 - size % 512) % 512;
            if (type == 'L' || type == 'x' || type == 'g') {
                byte[] data = new byte[Math.toIntExact(size)];
                if (!readFully(data)) throw new EOFException("tar ended inside a header record");
                skip(pad);
                if (type == 'L') longName = str(data, 0, data.length);
                if (type == 'x') {
                    String p = paxPath(data);
                    if (p != null) longName = p;
                }
                continue;
            }
            remaining = size;
            padding = pad;
            return new Entry(longName != null ? longName : name, type, size);
        }
    }

    /** The current entry's content. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (remaining <= 0) return -1;
                int b = in.read();
                if (b < 0) throw new EOFException("tar ended inside an entry");
                remaining--;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) return -1;
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) throw new EOFException("tar ended inside an entry");
                remaining -= n;
                return n;
            }
        };
    }

    /** PAX records are "LEN key=value\n" with LEN counted in bytes. */
    private static String paxPath(byte[] data) {
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') sp++;
            if (sp >= data.length) break;
            int len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            if (len <= 0 || i + len > data.length) break;
            String rec = new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            if (rec.startsWith("path=")) return rec.substring(5);
            i += len;
        }
        return null;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long k = in.skip(n);
            if (k <= 0) {
                if (in.read() < 0) throw new EOFException("tar ended early");
                k = 1;
            }
            n -= k;
        }
    }

    private boolean readFully(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                if (off == 0) return false;
                throw new EOFException("tar ended inside a header");
            }
            off += n;
        }
        return true;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String str(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) {
        if ((b[off] & 0x80) != 0) { // base-256 for big sizes
            long v = 0;
            for (int i = off + 1; i < off + len; i++) v = (v << 8) | (b[i] & 0xff);
            return v;
        }
        String s = str(b, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }
}
