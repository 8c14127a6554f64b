package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.List;

/**
 * Copies an image or an index between registries, repositories and layout directories, digests
 * preserved: blobs first (in parallel, skipped when present, mounted within a registry), then child
 * manifests by digest, then the top manifest under its tag.
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
     * @param all      copy every image of an index; without it, only the image for {@code platform}
     * @param platform used when {@code all} is false and the source is an index (a front end gives the host's by default)
     */
    public record Options(boolean all, Platform platform) {
        public Options {
            if (!all && platform == null) throw new IllegalArgumentException("a copy of one image needs its platform");
        }
    }

    public record Result(String source, String destination, Descriptor manifest, List<Descriptor> images,
                         BlobTransfer.Stats blobs) {
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
            BlobTransfer.Stats stats = blobs.transfer(from, to, blobList);
            for (RawManifest c : children) to.putManifest(c, null);
            String tag = dst.tag() != null ? dst.tag() : src.tag() != null ? src.tag() : "latest";
            to.putManifest(top, tag);
            progress.event("wrote " + dst.withTag(tag) + " (" + top.digest() + ")");
            return new Result(src.toString(), dst.withTag(tag).toString(), top.descriptor(), images, stats);
        }
    }

    static String platforms(ImageIndex index) {
        return String.join(", ", index.manifests().stream().filter(d -> d.platform() != null && !d.isAttestation())
                .map(d -> d.platform().toString()).toList());
    }
}
