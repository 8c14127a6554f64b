package io.polyarch.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails when a stream yields more or fewer bytes than the descriptor says. */
public final class SizeLimitedInputStream extends FilterInputStream {
    private final long expected;
    private final String action;
    private long count;

    public SizeLimitedInputStream(InputStream in, long expected, String action) {
        super(in);
        this.expected = expected;
        this.action = action;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            count += n;
            if (count > expected) throw new IOException(new StoreException(action, "more than the " + expected + " bytes its descriptor says", true, null));
        } else if (n < 0 && count != expected) {
            throw new IOException(new StoreException(action, "stream ended after " + count + " of " + expected + " bytes", true, null));
        }
        return n;
    }
}
