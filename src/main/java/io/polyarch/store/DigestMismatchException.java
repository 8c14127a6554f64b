package io.polyarch.store;

import io.polyarch.oci.Digest;

/** Content read did not hash to the digest it was asked for: corrupt, truncated or substituted. */
public class DigestMismatchException extends StoreException {
    public DigestMismatchException(String action, Digest expected, String actual) {
        super(action, "content does not match its digest: expected " + expected + ", got " + actual, true, null);
    }
}
