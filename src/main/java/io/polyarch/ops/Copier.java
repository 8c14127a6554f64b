package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.sign.Attachments;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
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
    private final BlobTransfer blobs;
    private final Progress progress;

    public Copier(Stores stores, int jobs, Progress progress) {
        this.stores = stores;
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

    public Result copy(StoreRef src, StoreRef dst, Options opts) throws StoreException, InvalidInputException {
        if (dst.digest() != null && dst.tag() == null) {
            throw new InvalidInputException("destination " + dst + " names a digest: give a tag (or none) for the copy");
        }
        try (ContentStore from = stores.open(src, false); ContentStore to = stores.open(dst, true)) {
            RawManifest top = Images.require(from, src.identifier(), "source " + src);
            Manifest parsed = Images.parse(top, "source " + src);
            List<RawManifest> children = new ArrayList<>();
            List<Descriptor> blobList = new ArrayList<>();
            List<Descriptor> images = new ArrayList<>();
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
            if (parsed instanceof ImageIndex index) {
                for (Descriptor child : index.manifests()) {
                    RawManifest cm = Images.require(from, child.digest().toString(), "child " + child.digest() + " of " + src);
                    Manifest c = Images.parse(cm, "child of " + src);
                    if (c instanceof ImageManifest im) {
                        blobList.addAll(im.blobs());
                    } else {
                        throw new InvalidInputException("source " + src + " nests an index inside an index; polyarch copies one level");
                    }
                    children.add(cm);
                    images.add(child);
                }
            } else {
                ImageManifest im = (ImageManifest) parsed;
                blobList.addAll(im.blobs());
                images.add(top.descriptor());
            }
            List<RawManifest> referrers = new ArrayList<>();
            List<Descriptor> referrerList = new ArrayList<>();
            List<Digest> copied = new ArrayList<>();
            if (opts.referrers()) {
                copied.add(top.digest());
                for (RawManifest c : children) copied.add(c.digest());
                for (Digest d : List.copyOf(copied)) {
                    for (Descriptor r : from.referrers(d)) {
                        if (copied.contains(r.digest())) continue;
                        String what = "referrer " + r.digest() + " of " + d + " in " + src;
                        RawManifest rm = Images.require(from, r.digest().toString(), what);
                        collect(from, rm, what, referrers, blobList);
                        copied.add(rm.digest());
                        referrerList.add(r);
                    }
                }
            }
            BlobTransfer.Stats stats = blobs.transfer(from, to, blobList);
            for (RawManifest c : children) to.putManifest(c, null);
            int attachments = 0;
            if (opts.referrers()) {
                // the subject first, by digest, then what names it; the tag only once all of it is there
                to.putManifest(top, null);
                for (RawManifest r : referrers) to.putManifest(r, null);
                Attachments mine = new Attachments(from, src.toString());
                Attachments theirs = new Attachments(to, dst.toString());
                for (Digest d : copied) attachments += mine.copyTo(theirs, d);
            }
            String tag = dst.tag() != null ? dst.tag() : src.tag() != null ? src.tag() : "latest";
            to.putManifest(top, tag);
            progress.event("wrote " + dst.withTag(tag) + " (" + top.digest() + ")");
            return new Result(src.toString(), dst.withTag(tag).toString(), top.descriptor(), images, stats, referrerList, attachments);
        }
    }

    /**
     * A referrer's blobs, and for one that is an index (an artifact of several manifests) its images' blobs and the
     * images themselves, ahead of it in {@code manifests}.
     */
    private static void collect(ContentStore from, RawManifest m, String what, List<RawManifest> manifests, List<Descriptor> blobList)
            throws StoreException, InvalidInputException {
        switch (Images.parse(m, what)) {
            case ImageManifest im -> blobList.addAll(im.blobs());
            case ImageIndex idx -> {
                for (Descriptor child : idx.manifests()) {
                    String childWhat = "child " + child.digest() + " of the " + what;
                    RawManifest cm = Images.require(from, child.digest().toString(), childWhat);
                    if (!(Images.parse(cm, childWhat) instanceof ImageManifest im)) {
                        throw new InvalidInputException("the " + childWhat + " is an index; polyarch copies one level");
                    }
                    blobList.addAll(im.blobs());
                    manifests.add(cm);
                }
            }
        }
        manifests.add(m);
    }

    static String platforms(ImageIndex index) {
        return String.join(", ", index.manifests().stream().filter(d -> d.platform() != null && !d.isAttestation())
                .map(d -> d.platform().toString()).toList());
    }
}
