package io.polyarch.pipeline.run;

import io.polyarch.build.BuildException;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.ops.BlobTransfer;
import io.polyarch.ops.Progress;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * A cell's push job: the image's blobs (those it shares with its pinned base mounted or copied from the base's
 * repository) and manifest to the destination by digest, then its build-key and cache tags. Its arch tags
 * ({@code latest-arm64}), which users pull, are written by the publish, with the index of the same name.
 */
final class PushStep {
    private final RunContext run;

    PushStep(RunContext run) {
        this.run = run;
    }

    void run(CellJob j, CellState c) throws Exception {
        long tp = System.nanoTime();
        ContentStore target = run.target();
        try (OciLayoutStore layout = c.reused != null ? null : OciLayoutStore.open(c.output.layout(), false)) {
            if (layout != null) {
                // blobs the export took from the base image are not in the layout: they come from the base's repository
                List<Descriptor> local = new ArrayList<>();
                List<Descriptor> fromBase = new ArrayList<>();
                for (Descriptor d : c.image.blobs()) (layout.statBlob(d.digest()).isPresent() ? local : fromBase).add(d);
                if (!fromBase.isEmpty()) {
                    if (j.base() == null) throw new BuildException("the exported image lacks blob " + fromBase.get(0).digest() + " and has no base to take it from");
                    try (ContentStore baseStore = run.stores().open(new StoreRef.Registry(j.base()), false)) {
                        transfer().transfer(baseStore, target, fromBase);
                    }
                }
                transfer().transfer(layout, target, local);
                target.putManifest(c.manifest, null);
            }
            // polyarch's own tags at once (each a round trip or two); the arch tags, which users pull, are the publish's
            List<Future<Void>> helperTags = new ArrayList<>();
            // in an OCI layout, extra ref names confuse tools that pick images by name (oci-image-tool); no reuse there
            if (layout != null && !j.request().oci()) {
                if (j.key() != null) helperTags.add(run.workers().submit(() -> putTag(j, c, BuildKeys.tag(j.key()))));
                String cache = j.request().cacheFrom();
                if (cache != null) helperTags.add(run.workers().submit(() -> putTag(j, c, cache.substring(cache.lastIndexOf(':') + 1))));
            }
            for (Future<Void> f : helperTags) f.get(); // putTag reports its own failure
            c.published = c.manifest;
            c.pushMs = LocalExecutor.ms(tp);
            long size = c.manifest.size() + c.image.blobs().stream().mapToLong(Descriptor::size).sum();
            c.report = new RunReport.ImageReport(j.platform(), c.reused != null ? "reused" : "pushed", c.manifest.digest(), size, List.of(), c.buildMs,
                    c.output == null ? 0 : c.output.engineMs(), c.pushMs, j.builder().describe(), null, null, 0, c.reused);
        }
    }

    private BlobTransfer transfer() {
        return new BlobTransfer(run.workers(), run.opts().jobs(), Progress.NONE);
    }

    /** The key's tag names the image just pushed; a registry with immutable tags keeps the first image of a key. */
    private Void putTag(CellJob j, CellState c, String tag) {
        try {
            run.target().tag(c.manifest, tag);
        } catch (StoreException e) {
            run.listener().log(j.name(), "could not write " + tag + " (" + e.getMessage() + "); the next run cannot reuse this build");
        }
        return null;
    }
}
