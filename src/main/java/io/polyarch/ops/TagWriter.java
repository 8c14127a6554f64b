package io.polyarch.ops;

import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.time.Duration;

/**
 * Writes the tags users pull once a publish has begun to move them: the first has moved, so the others must follow
 * rather than leave the set half-moved. A write the registry fails in a way worth retrying (a 5xx, a dropped
 * connection, a timeout) is tried again with backoff for up to {@link #PATIENCE}, far beyond one request's retries,
 * so that an outage of seconds in the middle of the tag writes delays the run instead of splitting its tags.
 */
public final class TagWriter {
    public static final Duration PATIENCE = Duration.ofSeconds(45);
    private final ContentStore target;
    private final Duration patience;

    public TagWriter(ContentStore target) {
        this(target, PATIENCE);
    }

    public TagWriter(ContentStore target, Duration patience) {
        this.target = target;
        this.patience = patience;
    }

    /** As {@link ContentStore#tag}: false when the tag already named the manifest. */
    public boolean tag(RawManifest m, String tag) throws StoreException {
        return patiently(() -> target.tag(m, tag), "tag " + tag);
    }

    /** What {@code tag} names now (a read between the writes, as patient as they are). */
    public java.util.Optional<RawManifest> current(String tag) throws StoreException {
        return patiently(() -> target.getManifest(tag), "read " + tag);
    }

    private interface Call<T> {
        T call() throws StoreException;
    }

    private <T> T patiently(Call<T> call, String what) throws StoreException {
        long deadline = System.nanoTime() + patience.toNanos();
        long wait = 250;
        while (true) {
            try {
                return call.call();
            } catch (StoreException e) {
                if (!e.retryable() || System.nanoTime() + wait * 1_000_000 > deadline) throw e;
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(what, "interrupted");
            }
            wait = Math.min(wait * 2, 4000);
        }
    }
}
