package io.polyarch.pipeline.run;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.Platform;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one run, for the summary and {@code --json}: one {@link VariantReport} per matrix variant (one
 * only, named "", without a matrix).
 *
 * @param failure why the run failed, or null on success
 */
public record RunReport(String repository, String commit, String branch, List<VariantReport> variants, List<JobReport> jobs,
                        Map<String, Long> durationsMs, List<String> notes, String failure) {
    public RunReport {
        variants = List.copyOf(variants);
        jobs = List.copyOf(jobs);
        durationsMs = Map.copyOf(durationsMs);
        notes = List.copyOf(notes);
    }

    /** How the report names a destination: {@code host/path} for a registry, {@code oci:DIR} for a layout. */
    public static String repositoryOf(io.polyarch.store.StoreRef dest) {
        return switch (dest) {
            case io.polyarch.store.StoreRef.Registry r -> r.reference().name();
            case io.polyarch.store.StoreRef.Layout l -> "oci:" + l.dir();
        };
    }

    public boolean ok() {
        return failure == null;
    }

    private VariantReport single() {
        return variants.size() == 1 ? variants.get(0) : null;
    }

    /** Without a matrix: the variant's tags; with one: every variant's. */
    public List<String> tags() {
        List<String> out = new ArrayList<>();
        variants.forEach(v -> out.addAll(v.tags()));
        return out;
    }

    public List<String> tagsWritten() {
        List<String> out = new ArrayList<>();
        variants.forEach(v -> out.addAll(v.tagsWritten()));
        return out;
    }

    public List<String> tagsUnchanged() {
        List<String> out = new ArrayList<>();
        variants.forEach(v -> out.addAll(v.tagsUnchanged()));
        return out;
    }

    /** Tags left at a newer commit's index (names only). */
    public List<String> tagsKept() {
        List<String> out = new ArrayList<>();
        variants.forEach(v -> v.tagsKept().forEach(k -> out.add(k.tag())));
        return out;
    }

    /** The index of a run without a matrix (null if it failed); null with a matrix (see each variant). */
    public Descriptor index() {
        return single() == null ? null : single().index();
    }

    /** The other destinations of a run without a matrix (with one: see each variant). */
    public List<DestinationReport> mirrors() {
        return single() == null ? List.of() : single().mirrors();
    }

    /** Every image of every variant. */
    public List<ImageReport> images() {
        List<ImageReport> out = new ArrayList<>();
        variants.forEach(v -> out.addAll(v.images()));
        return out;
    }

    /**
     * One variant: its tags, the index published under them (null if it was not), its images.
     *
     * @param failure why this variant published nothing, or null
     */
    /**
     * @param tagsKept tags left at a newer commit's index, each with why
     * @param mirrors  the other destinations of the same index, in the order configured
     */
    public record VariantReport(String name, Map<String, String> vars, List<String> tags, List<String> tagsWritten,
                                List<String> tagsUnchanged, List<io.polyarch.ops.IndexCreator.Kept> tagsKept, Descriptor index,
                                List<ImageReport> images, String failure, List<DestinationReport> mirrors) {
        public VariantReport {
            mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
            tagsKept = List.copyOf(tagsKept);
            vars = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(vars));
            tags = List.copyOf(tags);
            tagsWritten = List.copyOf(tagsWritten);
            tagsUnchanged = List.copyOf(tagsUnchanged);
            images = List.copyOf(images);
        }
    }

    /** Another destination of a variant's index: its tags and what became of each. */
    public record DestinationReport(String repository, List<String> tags, List<String> tagsWritten, List<String> tagsUnchanged,
                                    List<io.polyarch.ops.IndexCreator.Kept> tagsKept) {
        public DestinationReport {
            tags = List.copyOf(tags);
            tagsWritten = List.copyOf(tagsWritten);
            tagsUnchanged = List.copyOf(tagsUnchanged);
            tagsKept = List.copyOf(tagsKept);
        }
    }

    /** One job of the plan's DAG: {@code succeeded}, {@code failed}, {@code failed_ignored}, {@code skipped}, {@code cancelled}. */
    public record JobReport(String id, String state, long ms, String detail) {
    }

    /**
     * One platform's image.
     *
     * @param state     {@code pushed}, {@code failed} or {@code cancelled}
     * @param tags      arch tags written or already in place
     * @param buildMs   build and export into a local layout
     * @param engineMs  of which the engine's build command
     * @param error     why it failed, or null
     */
    /**
     * @param digest    the image manifest the index lists (with SOCI v2, the annotated copy of the pushed one)
     * @param sociIndex the platform's SOCI index, or null
     * @param reused    why an existing image was taken instead of building (its build key matched), or null
     */
    public record ImageReport(Platform platform, String state, Digest digest, long size, List<String> tags, long buildMs,
                              long engineMs, long pushMs, String builder, String error, Digest sociIndex, long sociMs, String reused) {
        public ImageReport {
            tags = List.copyOf(tags);
        }

        public ImageReport withTags(List<String> archTags) {
            return new ImageReport(platform, state, digest, size, archTags, buildMs, engineMs, pushMs, builder, error, sociIndex, sociMs, reused);
        }

        public ImageReport withSoci(Digest image, Digest soci, long ms) {
            return new ImageReport(platform, state, image, size, tags, buildMs, engineMs, pushMs, builder, error, soci, ms, reused);
        }
    }
}
