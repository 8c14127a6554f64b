package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What a copy out of one store takes: the manifests to put, each after the manifests it lists (an index after its
 * children), and all their blobs. An index is one level deep: an image index listing another index is refused.
 */
final class Closure {
    private final ContentStore from;
    private final List<RawManifest> manifests = new ArrayList<>();
    private final List<Descriptor> blobs = new ArrayList<>();
    private final List<Descriptor> referrers = new ArrayList<>();
    private final Set<Digest> seen = new HashSet<>();

    Closure(ContentStore from) {
        this.from = from;
    }

    /** An image, or an index and each of its images, read from the store as needed. */
    Closure add(RawManifest m, String what) throws StoreException, InvalidInputException {
        if (!seen.add(m.digest())) return this;
        switch (Images.parse(m, what)) {
            case ImageManifest im -> blobs.addAll(im.blobs());
            case ImageIndex idx -> {
                for (Descriptor child : idx.manifests()) {
                    String childWhat = "child " + child.digest() + " of " + what;
                    RawManifest cm = Images.require(from, child.digest().toString(), childWhat);
                    if (!(Images.parse(cm, childWhat) instanceof ImageManifest im)) {
                        throw new InvalidInputException(childWhat + " is an index inside an index; polyarch copies one level");
                    }
                    if (seen.add(cm.digest())) {
                        blobs.addAll(im.blobs());
                        manifests.add(cm);
                    }
                }
            }
        }
        manifests.add(m);
        return this;
    }

    /**
     * The referrers (SOCI v1 indexes, OCI 1.1 artifacts) of every manifest added so far, with theirs, after them:
     * each manifest's list, then each referrer, read on {@code pool} all at once (two requests per manifest on a
     * registry without the referrers API).
     */
    Closure addReferrers(Workers pool) throws StoreException, InvalidInputException, InterruptedException {
        List<RawManifest> subjects = List.copyOf(manifests);
        List<CompletableFuture<List<Descriptor>>> lists = new ArrayList<>();
        for (RawManifest subject : subjects) lists.add(pool.async(() -> from.referrers(subject.digest())));
        record Pending(Descriptor referrer, String what, CompletableFuture<RawManifest> body) {
        }
        List<Pending> pending = new ArrayList<>();
        Set<Digest> listed = new HashSet<>();
        for (int i = 0; i < subjects.size(); i++) {
            for (Descriptor r : Workers.await(lists.get(i))) {
                if (seen.contains(r.digest()) || !listed.add(r.digest())) continue;
                String what = "referrer " + r.digest() + " of " + subjects.get(i).digest() + " in " + from.describe();
                pending.add(new Pending(r, what, pool.async(() -> Images.require(from, r.digest().toString(), what))));
            }
        }
        for (Pending p : pending) {
            add(Workers.await(p.body()), p.what());
            referrers.add(p.referrer());
        }
        return this;
    }

    /** Every manifest, in the order to put them: none before what it lists. */
    List<RawManifest> manifests() {
        return List.copyOf(manifests);
    }

    List<Descriptor> blobs() {
        return List.copyOf(blobs);
    }

    /** The referrers {@link #addReferrers(Workers)} found, as the store lists them (with their artifact types). */
    List<Descriptor> referrers() {
        return List.copyOf(referrers);
    }
}
