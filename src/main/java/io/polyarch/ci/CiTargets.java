package io.polyarch.ci;

import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.tags.TagRule;

import java.util.List;

/**
 * What the CI exports share: one job per platform on a runner of its own architecture where the CI system has one
 * (amd64, arm64), else on an x86 runner under QEMU; the same two polyarch commands as the CodeBuild export
 * ({@code run --platform P --no-publish}, then {@code run --reuse-only}); and how polyarch gets onto the runner: its
 * release jar (a JRE 21 is all it needs), from {@code POLYARCH_JAR_URL}.
 */
final class CiTargets {
    /** The release jar, unless the repository says otherwise (a mirror, a file for a self-hosted runner). */
    static final String DEFAULT_JAR_URL = "https://github.com/polyarch/polyarch/releases/latest/download/polyarch.jar";

    private CiTargets() {
    }

    record Cell(Platform platform, boolean nativeRunner, String arch) {
    }

    static List<Cell> cells(PipelineSpec spec) {
        return spec.platforms().stream().map(p -> {
            boolean nat = p.os().equals("linux") && (p.architecture().equals("amd64") || p.architecture().equals("arm64") && p.variant() == null);
            return new Cell(p, nat, p.architecture() + (p.variant() == null ? "" : p.variant()));
        }).toList();
    }

    /** Whether a semver rule is used anywhere: then tags {@code v*} trigger the pipeline as well. */
    static boolean semver(PipelineSpec spec) {
        return spec.variants().stream().flatMap(v -> v.tagRules().stream()).anyMatch(r -> r instanceof TagRule.Semver
                || r instanceof TagRule.Template t && t.text().contains("{semver}"));
    }

    static String branch(PipelineSpec spec) {
        return spec.github() != null && spec.github().branch() != null ? spec.github().branch() : "main";
    }

    /** Every destination: the first, then the others ({@code destinations:}). */
    static List<PipelineSpec.Destination> destinations(PipelineSpec spec) {
        List<PipelineSpec.Destination> all = new java.util.ArrayList<>();
        if (spec.destination() != null) all.add(spec.destination());
        spec.mirrors().forEach(m -> all.add(m.destination()));
        return all;
    }

    /** The registry hosts of the destinations (ECR ones are logged into another way; a layout has none). */
    static List<String> registryHosts(PipelineSpec spec) {
        List<String> hosts = new java.util.ArrayList<>();
        for (PipelineSpec.Destination d : destinations(spec)) {
            if (d instanceof PipelineSpec.Target t && t.ref() instanceof io.polyarch.store.StoreRef.Registry r && !hosts.contains(r.reference().registry())) {
                hosts.add(r.reference().registry());
            }
        }
        return hosts;
    }

    static boolean ecr(PipelineSpec spec) {
        return destinations(spec).stream().anyMatch(d -> d instanceof PipelineSpec.Ecr);
    }

    /** The region of the first ECR destination that names one. */
    static String ecrRegion(PipelineSpec spec) {
        for (PipelineSpec.Destination d : destinations(spec)) if (d instanceof PipelineSpec.Ecr e && e.region() != null) return e.region();
        return null;
    }
}
