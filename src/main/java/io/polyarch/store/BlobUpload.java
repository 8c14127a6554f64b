package io.polyarch.store;

import io.polyarch.oci.Descriptor;

/**
 * A blob sent while it is being produced, before its digest is known: a layer on its way out of the builder, so the
 * registry receives it during the export instead of after it. Best effort by design: {@link #write} never throws
 * and never waits long, and an upload that fails only means the blob is sent again the ordinary way.
 */
public interface BlobUpload {
    /** Appends bytes (copied; the caller may reuse its buffer). A failed or abandoned upload ignores them. */
    void write(byte[] b, int off, int len);

    /**
     * Ends the bytes and commits them under {@code d}, whose digest and size the producer computed; the store checks
     * both. Null when the blob is now in the store, else why not (the upload is then abandoned).
     */
    String commit(Descriptor d);

    /** Abandons the upload: nothing is committed. */
    void abort();
}
