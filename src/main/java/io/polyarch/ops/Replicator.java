package io.polyarch.ops;

import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;


/**
 * Puts an index that one store holds into another under the same digest, and writes no tag: every child's blobs
 * (mounted within a registry, skipped where present), each child by digest, optionally each child's referrers (a
 * SOCI v1 index), then the index by digest. A publish to several destinations runs this for each before any tag
 * moves anywhere.
 */
public final class Replicator {
    private final BlobTransfer blobs;
    private final int jobs;

    public Replicator(int jobs, Progress progress) {
        this.blobs = new BlobTransfer(jobs, progress);
        this.jobs = jobs;
    }

    public void copy(ContentStore from, ContentStore to, RawManifest index, boolean withReferrers) throws StoreException, InvalidInputException {
        if (!(Images.parse(index, "the index " + index.digest()) instanceof ImageIndex)) {
            throw new InvalidInputException(index.digest() + " is not an index");
        }
        Closure closure = new Closure(from).add(index, "the index " + index.digest());
        if (withReferrers) {
            try (Workers pool = new Workers(jobs, "referrers")) {
                closure.addReferrers(pool);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("list the referrers of " + index.digest(), "interrupted");
            }
        }
        blobs.transfer(from, to, closure.blobs());
        // children before the referrers that name them and the index that lists them, so that no reader of the
        // destination ever finds a name without its content
        for (RawManifest m : closure.manifests()) if (!m.digest().equals(index.digest())) putIfAbsent(to, m);
        putIfAbsent(to, index);
    }

    /**
     * One image by digest (its blobs, then its manifest), ahead of its index: a run copies each platform's image to
     * the other destinations as soon as it is pushed, while the other platforms still build.
     */
    public void copyImage(ContentStore from, ContentStore to, RawManifest image) throws StoreException, InvalidInputException {
        if (!(Images.parse(image, "image " + image.digest()) instanceof ImageManifest im)) {
            throw new InvalidInputException(image.digest() + " is an index; polyarch copies one level");
        }
        blobs.transfer(from, to, im.blobs());
        putIfAbsent(to, image);
    }

    private static void putIfAbsent(ContentStore to, RawManifest m) throws StoreException {
        if (to.headManifest(m.digest().toString()).isEmpty()) to.putManifest(m, null);
    }
}
