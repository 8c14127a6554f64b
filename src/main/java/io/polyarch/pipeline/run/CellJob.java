package io.polyarch.pipeline.run;

import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.oci.Platform;
import io.polyarch.oci.Reference;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.spec.PipelineSpec;

import java.util.List;

/**
 * What one cell (variant x platform) of the plan needs to run, decided once its engine is known and its bases pinned.
 *
 * @param base the pinned image under the stage that is built, or null (scratch, or not pinned)
 * @param key  the build key (hex), or null when one cannot be computed (a base that could not be resolved)
 * @param annotations for the image manifest of a new build (a reused one keeps its own)
 * @param pinned      each FROM line's image as pinned for this platform ({@code ref@digest}), for the provenance
 */
record CellJob(Plan.Cell cell, Builder builder, BuildRequest request, Reference base, PipelineSpec.TestSpec test, String key,
               java.util.Map<String, String> annotations, java.util.Map<Integer, String> pinned) {
    String name() {
        return cell.name();
    }

    Platform platform() {
        return cell.platform();
    }

    List<String> archTags() {
        return cell.archTags();
    }
}
