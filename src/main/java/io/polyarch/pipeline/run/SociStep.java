package io.polyarch.pipeline.run;

import io.polyarch.oci.RawManifest;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.soci.SociIndexer;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.util.List;

/**
 * A cell's SOCI job, after its push and before any index tag moves. v2: the image manifest annotated with its SOCI
 * index (same layers and config) becomes what the index and the arch tags name (the publish writes both); v1: the SOCI index is pushed with
 * the image as its subject.
 */
final class SociStep {
    private final RunContext run;
    private final PipelineSpec.SociSpec soci;

    SociStep(RunContext run, PipelineSpec.SociSpec soci) {
        this.run = run;
        this.soci = soci;
    }

    void run(CellJob j, CellState c) throws Exception {
        long t = System.nanoTime();
        ContentStore target = run.target();
        SociIndexer.Options o = new SociIndexer.Options(SociIndexer.Format.parse(soci.format()), soci.spanSize(), soci.minLayerSize(),
                "polyarch " + RegistryOptions.version(), run.opts().jobs());
        SociIndexer.Result r;
        try {
            r = new SociIndexer(o, line -> run.listener().log(j.name(), "soci: " + line.replaceFirst("^\\S+: ", "")))
                    .index(target, c.manifest, List.of(new SociIndexer.Target(j.platform(), c.manifest.descriptor().withPlatform(j.platform()))));
        } catch (SociIndexer.SociException e) {
            throw new RunFailedException("SOCI: " + e.getMessage());
        }
        SociIndexer.ImageOutcome out = r.images().get(0);
        if (out.sociIndex() != null && !out.image().digest().equals(c.manifest.digest())) {
            RawManifest annotated = target.getManifest(out.image().digest().toString())
                    .orElseThrow(() -> new StoreException("SOCI", "the annotated manifest vanished from " + target.describe()));
            c.published = annotated;
            c.sociIndex = out.sociIndex();
        }
        c.report = c.report.withSoci(out.image().digest(), out.sociIndex() == null ? null : out.sociIndex().digest(), LocalExecutor.ms(t));
    }
}
