package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts an index that one store holds into another under the same digest, and writes no tag: every child's blobs
 * (mounted within a registry, skipped where present), each child by digest, optionally each child's referrers (a
 * SOCI v1 index), then the index by digest. A publish to several destinations runs this for each before any tag
 * moves anywhere.
 */
public final class Replicator {
    private final BlobTransfer blobs;

    public Replicator(int jobs, Progress progress) {
        this.blobs = new BlobTransfer(jobs, progress);
    }

    public void copy(ContentStore from, ContentStore to, RawManifest index, boolean withReferrers) throws StoreException, InvalidInputException {
        if (!(Images.parse(index, "the index " + index.digest()) instanceof ImageIndex idx)) {
            throw new InvalidInputException(index.digest() + " is not an index");
        }
        List<RawManifest> manifests = new ArrayList<>();
        List<Descriptor> blobList = new ArrayList<>();
        for (Descriptor d : idx.manifests()) {
            add(from, d, "child " + d.digest() + " of " + index.digest(), manifests, blobList);
            if (withReferrers) {
                for (Descriptor r : from.referrers(d.digest())) add(from, r, "referrer " + r.digest() + " of " + d.digest(), manifests, blobList);
            }
        }
        blobs.transfer(from, to, blobList);
        // children before the referrers that name them and the index that lists them, so that no reader of the
        // destination ever finds a name without its content
        for (RawManifest m : manifests) putIfAbsent(to, m);
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

    private static void add(ContentStore from, Descriptor d, String what, List<RawManifest> manifests, List<Descriptor> blobList)
            throws StoreException, InvalidInputException {
        RawManifest m = Images.require(from, d.digest().toString(), what);
        Manifest parsed = Images.parse(m, what);
        if (!(parsed instanceof ImageManifest im)) throw new InvalidInputException(what + " is an index; polyarch copies one level");
        blobList.addAll(im.blobs());
        manifests.add(m);
    }
}
