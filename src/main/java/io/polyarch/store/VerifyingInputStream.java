package io.polyarch.store;

import io.polyarch.oci.Digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes what passes through and, at end of stream, fails when size or digest differ from the
 * descriptor's, so nobody acts on bytes that were not the ones asked for.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final long expectedSize;
    private final String action;
    private final MessageDigest hasher;
    private long count;
    private boolean checked;

    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize, String action) {
        super(in);
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.action = action;
        this.hasher = expected.newHasher();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            hasher.update(b, off, n);
            count += n;
            if (expectedSize >= 0 && count > expectedSize) {
                throw new IOException(new DigestMismatchException(action, expected, "more than " + expectedSize + " bytes"));
            }
        } else if (n < 0) {
            check();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[8192];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) break;
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void check() throws IOException {
        if (checked) return;
        checked = true;
        if (expectedSize >= 0 && count != expectedSize) {
            throw new IOException(new DigestMismatchException(action, expected, count + " bytes instead of " + expectedSize));
        }
        String actual = expected.algorithm() + ":" + java.util.HexFormat.of().formatHex(hasher.digest());
        if (!actual.equals(expected.toString())) {
            throw new IOException(new DigestMismatchException(action, expected, actual));
        }
    }
}
