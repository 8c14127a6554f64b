package io.polyarch.build.docker;

import io.polyarch.tar.TarHeader;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A streaming tar reader for {@code docker save} output: headers decoded by {@link TarHeader}, GNU long names and PAX paths. */
final class TarReader {
    record Entry(String name, char type, long size) {
        boolean isFile() {
            return type == '0' || type == '7';
        }
    }

    private final InputStream in;
    private long offset;   // where the next header starts in the archive, for messages
    private long entryEnd; // where the current entry's data and padding end
    private long remaining;
    private long padding;
    private final byte[] header = new byte[512];

    TarReader(InputStream in) {
        this.in = in;
    }

    Entry next() throws IOException {
        skip(remaining + padding);
        offset = entryEnd;
        remaining = 0;
        padding = 0;
        String longName = null;
        while (true) {
            if (!readFully(header)) return null;
            long at = offset;
            offset += TarHeader.BLOCK;
            if (TarHeader.isZero(header)) return null;
            TarHeader h = TarHeader.decode(header, at);
            long pad = TarHeader.padding(h.size());
            if (h.isMetadata()) {
                h.checkMetadataSize(at);
                byte[] data = new byte[(int) h.size()];
                if (!readFully(data)) throw new EOFException("tar ended inside a header record");
                skip(pad);
                offset += h.size() + pad;
                if (h.type() == 'L') longName = TarHeader.longName(data);
                if (h.type() == 'x') {
                    String p = TarHeader.paxRecords(data, at + TarHeader.BLOCK).get("path");
                    if (p != null) longName = p;
                }
                continue;
            }
            remaining = h.size();
            padding = pad;
            entryEnd = offset + h.size() + pad;
            return new Entry(longName != null ? longName : h.name(), h.type(), h.size());
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

}
