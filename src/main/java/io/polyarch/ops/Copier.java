package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.sign.Attachments;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.List;

/**
 * Copies an image or an index between registries, repositories and layout directories, digests
 * preserved: blobs first (in parallel, skipped when present, mounted within a registry), then child
 * manifests by digest, then (with {@link Options#referrers()}) the referrers of every manifest copied and the cosign
 * signatures and attestations of each, then the top manifest under its tag: the tag moves last, so nobody pulls it
 * before its content, its SOCI indexes and its signatures are there.
 */
public final class Copier {
    private final Stores stores;
    private final int jobs;
    private final BlobTransfer blobs;
    private final Progress progress;

    public Copier(Stores stores, int jobs, Progress progress) {
        this.stores = stores;
        this.jobs = jobs;
        this.blobs = new BlobTransfer(jobs, progress);
        this.progress = progress;
    }

    /**
     * @param all       copy every image of an index; without it, only the image for {@code platform}
     * @param platform  used when {@code all} is false and the source is an index (a front end gives the host's by default)
     * @param referrers also the referrers (OCI 1.1, or the referrers tag schema: SOCI v1 indexes, OCI signatures and
     *                  SBOMs) of every manifest copied, and the cosign signatures and attestations
     *                  ({@code sha256-<hex>.sig}, {@code .att}) of each of those; where the destination has
     *                  signatures of its own under such a tag, the source's are added beside them
     */
    public record Options(boolean all, Platform platform, boolean referrers) {
        public Options {
            if (!all && platform == null) throw new IllegalArgumentException("a copy of one image needs its platform");
        }

        public Options(boolean all, Platform platform) {
            this(all, platform, false);
        }
    }

    /**
     * @param referrers   the referrers copied with {@link Options#referrers()} (none without it)
     * @param attachments the signature and attestation layers added at the destination
     */
    public record Result(String source, String destination, Descriptor manifest, List<Descriptor> images,
                         BlobTransfer.Stats blobs, List<Descriptor> referrers, int attachments) {
        public Result {
            images = List.copyOf(images);
            referrers = List.copyOf(referrers);
        }
    }

    public Result copy(StoreRef src, StoreRef dst, Options opts) throws StoreException, InvalidInputException, InterruptedException {
        if (dst.digest() != null && dst.tag() == null) {
            throw new InvalidInputException("destination " + dst + " names a digest: give a tag (or none) for the copy");
        }
        try (ContentStore from = stores.open(src, false); ContentStore to = stores.open(dst, true)) {
            RawManifest top = Images.require(from, src.identifier(), "source " + src);
            Manifest parsed = Images.parse(top, "source " + src);
            if (parsed instanceof ImageIndex index && !opts.all()) {
                Platform want = opts.platform();
                Descriptor pick = index.manifests().stream()
                        .filter(d -> d.platform() != null && !d.isAttestation() && d.platform().matches(want))
                        .findFirst()
                        .orElseThrow(() -> new InvalidInputException("source " + src + " has no image for " + want
                                + "; it has " + platforms(index) + ". Use --all to copy the whole index or --platform to pick one"));
                top = Images.require(from, pick.digest().toString(), "source " + src + " (" + want + ")");
                parsed = Images.parse(top, "source " + src);
            }
            List<Descriptor> images = parsed instanceof ImageIndex index ? index.manifests() : List.of(top.descriptor());
            Closure closure = new Closure(from).add(top, "source " + src);
            int attachments = 0;
            try (Workers pool = opts.referrers() ? new Workers(jobs, "copy") : null) {
                // the signatures and attestations of each manifest (small images under sha256-<hex>.sig/.att, which
                // nobody pulls as an image) go beside the blobs; the top manifest's tag only once all of it is there
                List<java.util.concurrent.CompletableFuture<Integer>> added = new java.util.ArrayList<>();
                if (pool != null) {
                    closure.addReferrers(pool);
                    Attachments mine = new Attachments(from, src.toString());
                    Attachments theirs = new Attachments(to, dst.toString());
                    for (RawManifest m : closure.manifests()) added.add(pool.async(() -> mine.copyTo(theirs, m.digest())));
                }
                BlobTransfer.Stats stats = blobs.transfer(from, to, closure.blobs());
                for (RawManifest m : closure.manifests()) if (!m.digest().equals(top.digest())) to.putManifest(m, null);
                for (var f : added) attachments += Workers.await(f);
                String tag = dst.tag() != null ? dst.tag() : src.tag() != null ? src.tag() : "latest";
                to.putManifest(top, tag);
                progress.event("wrote " + dst.withTag(tag) + " (" + top.digest() + ")");
                return new Result(src.toString(), dst.withTag(tag).toString(), top.descriptor(), images, stats, closure.referrers(), attachments);
            }
        }
    }

    static String platforms(ImageIndex index) {
        return String.join(", ", index.manifests().stream().filter(d -> d.platform() != null && !d.isAttestation())
                .map(d -> d.platform().toString()).toList());
    }
}
