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
    public record ChildReport(Descriptor descriptor, Platform configPlatform, boolean attestation, String problem, boolean checked) {
        public ChildReport(Descriptor descriptor, Platform configPlatform, boolean attestation, String problem) {
            this(descriptor, configPlatform, attestation, problem, true);
        }

        public boolean agrees() {
            return problem == null;
        }
    }

    /**
     * Children checked against their configs (two requests each, {@link #PARALLEL} at once); an index with more is
     * listed whole, the rest marked not checked, so that a hostile index of 10,000 entries costs seconds, not 20,000
     * requests in a row.
     */
    public static final int MAX_CHECKED = 1000;
    static final int PARALLEL = 8;

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
            List<Descriptor> manifests = ((ImageIndex) m).manifests();
            List<java.util.concurrent.Future<ChildReport>> checks = new ArrayList<>();
            try (Workers workers = new Workers(PARALLEL, "inspect")) {
                int checked = 0;
                for (Descriptor d : manifests) {
                    if (d.isAttestation()) {
                        checks.add(java.util.concurrent.CompletableFuture.completedFuture(new ChildReport(d, null, true, null)));
                    } else if (checked++ >= MAX_CHECKED) {
                        checks.add(java.util.concurrent.CompletableFuture.completedFuture(new ChildReport(d, null, false, null, false)));
                    } else {
                        checks.add(workers.submit(() -> check(store, d)));
                    }
                }
                List<ChildReport> rows = new ArrayList<>();
                for (var f : checks) {
                    try {
                        rows.add(f.get());
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof RuntimeException re) throw re;
                        throw new StoreException("inspect " + ref, String.valueOf(e.getCause()), false, e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new StoreException("inspect " + ref, "interrupted");
                    }
                }
                return new Report(ref.toString(), raw, rows, null);
            }
        }
    }

    private static ChildReport check(ContentStore store, Descriptor d) {
        try {
            ImageManifest child = Images.requireImage(store, d, "child " + d.digest().shortHex());
            ImageConfig cfg = Images.config(store, child);
            String problem = null;
            if (d.platform() == null) problem = "no platform listed";
            else if (cfg.platform() == null) problem = "config names no platform";
            else if (!d.platform().matches(cfg.platform())) problem = "config says " + cfg.platform();
            return new ChildReport(d, cfg.platform(), false, problem);
        } catch (StoreException e) {
            return new ChildReport(d, null, false, "unreadable: " + e.getMessage());
        }
    }

    private static ImageReport image(ContentStore store, ImageManifest im) throws StoreException {
        ImageConfig cfg = Images.config(store, im);
        long total = im.config().size() + im.layers().stream().mapToLong(Descriptor::size).sum();
        return new ImageReport(im.config(), cfg.platform(), cfg.created(), im.layers(), total);
    }
}
