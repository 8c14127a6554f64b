package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageConfig;
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

/** Reads what a reference points at and checks an index's children against their configs. */
public final class Inspector {
    private final Stores stores;

    public Inspector(Stores stores) {
        this.stores = stores;
    }

    /** One row of an index: the platform listed, what the child's config says, and whether they agree. */
    public record ChildReport(Descriptor descriptor, Platform configPlatform, boolean attestation, String problem) {
        public boolean agrees() {
            return problem == null;
        }
    }

    public record ImageReport(Descriptor config, Platform platform, String created, List<Descriptor> layers, long totalSize) {
    }

    /** Exactly one of {@code children} (an index) or {@code image} (an image manifest) is set. */
    public record Report(String reference, RawManifest raw, List<ChildReport> children, ImageReport image) {
        public boolean isIndex() {
            return children != null;
        }

        public boolean allAgree() {
            return children == null || children.stream().allMatch(ChildReport::agrees);
        }
    }

    public Report inspect(StoreRef ref) throws StoreException, InvalidInputException {
        try (ContentStore store = stores.open(ref, false)) {
            RawManifest raw = store.getManifest(ref.identifier()).orElseThrow(() ->
                    new InvalidInputException("'" + ref + "' does not exist: no manifest " + ref.identifier() + " in " + store.describe()));
            Manifest m = Images.parse(raw, ref.toString());
            if (m instanceof ImageManifest im) return new Report(ref.toString(), raw, null, image(store, im));
            List<ChildReport> rows = new ArrayList<>();
            for (Descriptor d : ((ImageIndex) m).manifests()) {
                if (d.isAttestation()) {
                    rows.add(new ChildReport(d, null, true, null));
                    continue;
                }
                try {
                    ImageManifest child = Images.requireImage(store, d, "child " + d.digest().shortHex());
                    ImageConfig cfg = Images.config(store, child);
                    String problem = null;
                    if (d.platform() == null) problem = "no platform listed";
                    else if (cfg.platform() == null) problem = "config names no platform";
                    else if (!d.platform().matches(cfg.platform())) problem = "config says " + cfg.platform();
                    rows.add(new ChildReport(d, cfg.platform(), false, problem));
                } catch (StoreException e) {
                    rows.add(new ChildReport(d, null, false, "unreadable: " + e.getMessage()));
                }
            }
            return new Report(ref.toString(), raw, rows, null);
        }
    }

    private static ImageReport image(ContentStore store, ImageManifest im) throws StoreException {
        ImageConfig cfg = Images.config(store, im);
        long total = im.config().size() + im.layers().stream().mapToLong(Descriptor::size).sum();
        return new ImageReport(im.config(), cfg.platform(), cfg.created(), im.layers(), total);
    }
}
