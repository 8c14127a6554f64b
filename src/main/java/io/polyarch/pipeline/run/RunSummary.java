package io.polyarch.pipeline.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.polyarch.oci.Descriptor;
import io.polyarch.registry.http.Redact;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link RunReport} as {@code polyarch run --json} writes it, for CI gates and other front ends: records that
 * Jackson serialises as they are, every free text (errors, notes, job details) redacted. Without a matrix the
 * top-level {@code index} and {@code tags} are the only variant's; {@code images} lists every variant's images.
 * <pre>{@code
 * {"ok":true,"repository":"localhost:5000/app","commit":"3f2a...","branch":"main","tags":["latest","3f2a9c1e"],
 *  "tagsWritten":["latest","3f2a9c1e"],"tagsUnchanged":[],"tagsKept":[],"index":{"digest":"sha256:...","mediaType":"...","size":741},
 *  "images":[{"platform":"linux/amd64","state":"pushed","digest":"sha256:...",...}],"variants":[...],"jobs":[...],
 *  "durationsMs":{"total":3400},"notes":[]}
 * }</pre>
 */
@JsonPropertyOrder({"ok", "repository", "commit", "branch", "tags", "tagsWritten", "tagsUnchanged", "tagsKept", "index", "alsoPublished", "images",
        "variants", "jobs", "durationsMs", "notes", "failure"})
public record RunSummary(boolean ok, String repository, String commit, String branch, List<String> tags, List<String> tagsWritten,
                         List<String> tagsUnchanged, List<String> tagsKept, Index index, List<Destination> alsoPublished, List<Image> images,
                         List<Variant> variants, List<Job> jobs,
                         Map<String, Long> durationsMs, List<String> notes, @JsonInclude(JsonInclude.Include.NON_NULL) String failure) {

    /** An index published: with its size at the top level, without it per variant. */
    @JsonPropertyOrder({"digest", "mediaType", "size"})
    public record Index(String digest, String mediaType, @JsonInclude(JsonInclude.Include.NON_NULL) Long size) {
        static Index of(Descriptor d, boolean withSize) {
            return d == null ? null : new Index(d.digest().toString(), d.mediaType().value(), withSize ? d.size() : null);
        }
    }

    /** Another destination of the same index (the config's destinations after the first, --also-to): its tags. */
    @JsonPropertyOrder({"repository", "tags", "tagsWritten", "tagsUnchanged", "tagsKept"})
    public record Destination(String repository, List<String> tags, List<String> tagsWritten, List<String> tagsUnchanged, List<String> tagsKept) {
        static List<Destination> of(List<RunReport.DestinationReport> ds) {
            return ds.stream().map(d -> new Destination(d.repository(), d.tags(), d.tagsWritten(), d.tagsUnchanged(),
                    d.tagsKept().stream().map(io.polyarch.ops.IndexCreator.Kept::tag).toList())).toList();
        }
    }

    /** One platform's image; {@code variant} only in the top-level list of a matrix run. */
    @JsonPropertyOrder({"variant", "platform", "state", "digest", "size", "tags", "builder", "buildMs", "engineMs", "pushMs", "sociIndex", "sociMs",
            "reused", "error"})
    public record Image(@JsonInclude(JsonInclude.Include.NON_NULL) String variant, String platform, String state, String digest, long size,
                        List<String> tags, String builder, long buildMs, long engineMs, long pushMs,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String sociIndex, @JsonInclude(JsonInclude.Include.NON_NULL) Long sociMs,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String reused, @JsonInclude(JsonInclude.Include.NON_NULL) String error) {
        static Image of(String variant, RunReport.ImageReport i) {
            return new Image(variant == null || variant.isEmpty() ? null : variant, i.platform().toString(), i.state(),
                    i.digest() == null ? null : i.digest().toString(), i.size(), i.tags(), i.builder(), i.buildMs(), i.engineMs(), i.pushMs(),
                    i.sociIndex() == null ? null : i.sociIndex().toString(), i.sociIndex() == null ? null : i.sociMs(), i.reused(),
                    i.error() == null ? null : Redact.text(i.error()));
        }
    }

    @JsonPropertyOrder({"name", "vars", "ok", "tags", "tagsWritten", "index", "alsoPublished", "images", "failure"})
    public record Variant(String name, Map<String, String> vars, boolean ok, List<String> tags, List<String> tagsWritten, Index index,
                          List<Destination> alsoPublished, List<Image> images, @JsonInclude(JsonInclude.Include.NON_NULL) String failure) {
    }

    @JsonPropertyOrder({"id", "state", "ms", "detail"})
    public record Job(String id, String state, long ms, @JsonInclude(JsonInclude.Include.NON_NULL) String detail) {
    }

    /**
     * A summary with one of each part, for a front end to serialise once while the run is busy: Jackson's first look at
     * these records (their components and annotations) then costs nothing at the end of the run.
     */
    public static RunSummary sample() {
        RunReport.ImageReport i = new RunReport.ImageReport(io.polyarch.oci.Platform.LINUX_AMD64, "pushed", null, 0, List.of(), 0, 0, 0, "", "e", null, 0, "r");
        return of(new RunReport("r", "c", "b", List.of(new RunReport.VariantReport("v", Map.of(), List.of(), List.of(), List.of(), List.of(), null, List.of(i), "f",
                        List.of(new RunReport.DestinationReport("r", List.of(), List.of(), List.of(), List.of())))),
                List.of(new RunReport.JobReport("j", "succeeded", 0, "d")), Map.of(), List.of(), "f"));
    }

    /** A run that failed before it had anything to report (a destination it could not reach, a config error). */
    public static RunSummary failed(String repository, String commit, String branch, String failure) {
        return new RunSummary(false, repository, commit, branch, List.of(), List.of(), List.of(), List.of(), null, List.of(), List.of(), List.of(), List.of(), Map.of(),
                List.of(), Redact.text(failure));
    }

    public static RunSummary of(RunReport r) {
        List<Image> images = r.variants().stream().flatMap(v -> v.images().stream().map(i -> Image.of(v.name(), i))).toList();
        List<Variant> variants = r.variants().stream().map(v -> new Variant(v.name(), v.vars(), v.failure() == null, v.tags(), v.tagsWritten(),
                Index.of(v.index(), false), Destination.of(v.mirrors()), v.images().stream().map(i -> Image.of(null, i)).toList(),
                v.failure() == null ? null : Redact.text(v.failure()))).toList();
        List<Job> jobs = r.jobs().stream().map(j -> new Job(j.id(), j.state(), j.ms(), j.detail() == null ? null : Redact.text(j.detail()))).toList();
        return new RunSummary(r.ok(), r.repository(), r.commit(), r.branch(), r.tags(), r.tagsWritten(), r.tagsUnchanged(), r.tagsKept(), Index.of(r.index(), true),
                Destination.of(r.mirrors()), images, variants, jobs, new TreeMap<>(r.durationsMs()), r.notes().stream().map(Redact::text).toList(),
                r.failure() == null ? null : Redact.text(r.failure()));
    }
}
