package io.polyarch.pipeline.plan;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * A {@link Plan} as {@code polyarch plan --json} prints it: the jobs in the order they may start, each with what
 * it needs and the tags it writes.
 * <pre>{@code
 * {"commit":"3f2a...","fastFail":false,"parallelism":2,
 *  "jobs":[{"id":"build linux/amd64","kind":"build","variant":"","platform":"linux/amd64","needs":[],"tags":[]}, ...,
 *          {"id":"publish localhost:5000/app","kind":"publish","variant":"","platform":null,"needs":["push linux/amd64",...],
 *           "tags":["latest","3f2a9c1e"]}],
 *  "notes":[]}
 * }</pre>
 */
@JsonPropertyOrder({"commit", "fastFail", "parallelism", "jobs", "notes"})
public record PlanSummary(String commit, boolean fastFail, int parallelism, List<Job> jobs, List<String> notes) {
    @JsonPropertyOrder({"id", "kind", "variant", "platform", "needs", "tags"})
    public record Job(String id, String kind, String variant, String platform, List<String> needs, List<String> tags) {
    }

    public static PlanSummary of(Plan p) {
        return new PlanSummary(p.commit(), p.fastFail(), p.parallelism(), p.jobs().stream().map(j -> new Job(j.id().toString(), j.kind().label(),
                j.variant(), j.platform() == null ? null : j.platform().toString(), j.needs().stream().map(JobId::toString).toList(), j.tags())).toList(),
                p.notes());
    }
}
