package io.polyarch.pipeline.plan;

import io.polyarch.build.Dockerfile;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.store.StoreRef;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a run will do, decided before anything starts and without asking any engine or registry: for every matrix
 * variant its Dockerfile and tags, for every cell (variant x platform) its build arguments and arch tags, and the
 * jobs with their edges: build[cell] → test[cell] → push[cell] → soci[cell] → publish[variant]. {@code polyarch run}
 * executes this object and {@code polyarch plan} prints it: one source of truth. Made by {@link PlanBuilder}.
 *
 * @param context     the build context directory (the repository root resolved with workDir)
 * @param publish     whether the run publishes indexes (false: build, test and push only)
 * @param parallelism how many jobs may run at once
 * @param jobs        in an order that respects every edge
 */
public record Plan(String commit, StoreRef destination, Path context, boolean publish, boolean fastFail, int parallelism,
                   List<Variant> variants, List<Job> jobs, List<String> notes) {
    public Plan {
        variants = List.copyOf(variants);
        jobs = List.copyOf(jobs);
        notes = List.copyOf(notes);
    }

    /** A matrix variant (without a matrix, the only one, named ""): its Dockerfile read and its tags resolved. */
    /**
     * @param annotations on the index and each image manifest this run pushes ({@link ImageMetadata})
     * @param labels      in each image config this run builds
     */
    public record Variant(PipelineSpec.Variant spec, Path dockerfilePath, Dockerfile dockerfile, List<String> tags, List<Cell> cells,
                          Map<String, String> annotations, Map<String, String> labels, List<Mirror> mirrors) {
        public Variant {
            mirrors = List.copyOf(mirrors);
            tags = List.copyOf(tags);
            cells = List.copyOf(cells);
            annotations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(annotations));
            labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
        }

        public String name() {
            return spec.name();
        }
    }

    /**
     * Another destination of a variant's index ({@code destinations:} after the first, {@code --also-to}): the same
     * index and children, then these tags.
     *
     * @param archTags cell name → its arch tags here (none with archTags off)
     */
    public record Mirror(StoreRef repository, List<String> tags, Map<String, List<String>> archTags) {
        public Mirror {
            tags = List.copyOf(tags);
            archTags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(archTags));
        }
    }

    /**
     * One image to build: a variant on a platform.
     *
     * @param name      {@code linux/arm64}, or {@code VERSION=3.12 linux/arm64} in a matrix
     * @param arch      the name of the platform in arch tags and the arch build argument ({@code arm64})
     * @param buildArgs the config's build args, the variant's variables and the arch argument
     * @param archTags  {@code <tag>-<arch>} for each of the variant's tags (none with archTags off)
     */
    public record Cell(String name, Platform platform, String arch, Map<String, String> buildArgs, List<String> archTags) {
        public Cell {
            buildArgs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(buildArgs));
            archTags = List.copyOf(archTags);
        }
    }

    /**
     * A job of the DAG.
     *
     * @param variant  the variant's name ("" without a matrix)
     * @param platform the cell's platform; null for publish
     * @param tags     the tags the job writes: arch tags for push, the index tags for publish
     */
    public record Job(JobId id, String variant, Platform platform, List<JobId> needs, List<String> tags, boolean ignoreFailure) {
        public Job {
            needs = List.copyOf(needs);
            tags = List.copyOf(tags);
        }

        public JobKind kind() {
            return id.kind();
        }
    }

    /** Every other destination of the run's indexes (each variant has the same), in the order configured. */
    public List<StoreRef> mirrors() {
        return variants.stream().flatMap(v -> v.mirrors().stream().map(Mirror::repository)).distinct().toList();
    }

    public Optional<Job> job(JobId id) {
        return jobs.stream().filter(j -> j.id().equals(id)).findFirst();
    }

    /** The jobs as a {@link Dag} for {@link DagRunner}, each job its own payload. */
    public Dag<Job> dag() {
        Dag.Builder<Job> b = Dag.builder();
        for (Job j : jobs) b.add(j.id().toString(), j, j.needs().stream().map(JobId::toString).toList(), j.ignoreFailure());
        return b.build();
    }
}
