package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.registry.RegistryClient;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves blobs from one store to another: at most {@code jobs} at once, each digest once, blobs the
 * destination has skipped, blobs in another repository of the same registry mounted instead of copied.
 * The first failure cancels the rest (errgroup semantics).
 */
public final class BlobTransfer {
    private final int jobs;
    private final Progress progress;
    private final Workers shared;

    /** A transfer with threads of its own (one command, one transfer). */
    public BlobTransfer(int jobs, Progress progress) {
        this(null, jobs, progress);
    }

    /**
     * A transfer on a run's pool: a blob that another transfer of the same run is moving to the same destination is
     * waited for, not sent twice.
     */
    public BlobTransfer(Workers shared, int jobs, Progress progress) {
        this.jobs = jobs;
        this.progress = progress;
        this.shared = shared;
    }

    /** What was done: bytes actually uploaded, and blobs skipped or mounted. */
    public record Stats(int copied, int skipped, int mounted, long bytes) {
    }

    public Stats transfer(ContentStore src, ContentStore dst, Collection<Descriptor> blobs) throws StoreException {
        Map<Digest, Descriptor> unique = new LinkedHashMap<>();
        for (Descriptor d : blobs) unique.putIfAbsent(d.digest(), d);
        AtomicLong copied = new AtomicLong();
        AtomicLong skipped = new AtomicLong();
        AtomicLong mounted = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        Semaphore permits = new Semaphore(jobs);
        List<Future<Void>> futures = new ArrayList<>();
        Workers own = shared == null ? new Workers(Math.min(jobs, Math.max(1, unique.size())), "blob") : null;
        Workers pool = shared == null ? own : shared;
        try {
            for (Descriptor d : unique.values()) {
                futures.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        Outcome o = shared == null ? moveOne(src, dst, d)
                                : shared.once(List.of("blob", dst.describe(), d.digest()), () -> moveOne(src, dst, d));
                        switch (o) {
                            case COPIED -> {
                                copied.incrementAndGet();
                                bytes.addAndGet(d.size());
                            }
                            case SKIPPED -> skipped.incrementAndGet();
                            case MOUNTED -> mounted.incrementAndGet();
                        }
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (Future<Void> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    if (e.getCause() instanceof StoreException se) throw se;
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new StoreException("copy blobs to " + dst.describe(), String.valueOf(e.getCause()), false, e.getCause());
                } catch (InterruptedException e) {
                    futures.forEach(x -> x.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new StoreException("copy blobs to " + dst.describe(), "interrupted");
                }
            }
        } finally {
            if (own != null) own.close();
        }
        return new Stats((int) copied.get(), (int) skipped.get(), (int) mounted.get(), bytes.get());
    }

    private enum Outcome { COPIED, SKIPPED, MOUNTED }

    private Outcome moveOne(ContentStore src, ContentStore dst, Descriptor d) throws StoreException {
        if (src instanceof RegistryClient s && dst instanceof RegistryClient t
                && s.reference().registry().equals(t.reference().registry())) {
            if (s.reference().repository().equals(t.reference().repository())) return Outcome.SKIPPED;
            if (t.mount(d.digest(), s.reference())) {
                progress.event("mounted " + d.digest().shortHex() + " from " + s.reference().repository());
                return Outcome.MOUNTED;
            }
        }
        if (dst.statBlob(d.digest()).isPresent()) return Outcome.SKIPPED;
        if (src instanceof RegistryClient s && dst instanceof RegistryClient) {
            // registry to registry: the destination verifies the digest on upload, so the bytes are not hashed here too
            dst.putBlob(d, () -> s.openBlobForRegistryCopy(d));
        } else {
            dst.putBlob(d, () -> src.openBlob(d));
        }
        progress.event("copied " + d.digest().shortHex() + " (" + Sizes.human(d.size()) + ")");
        return Outcome.COPIED;
    }
}
