package io.polyarch.pipeline.plan;

/**
 * A job of the {@link Plan}, by kind and what it works on: a cell ({@code linux/arm64}, or a variant and platform
 * such as {@code VERSION=3.12 linux/arm64}) for build, test, push and soci; the variant (or, without a matrix, the
 * destination) for publish. Printed as {@code build linux/arm64}, the id the summary and {@code --json} use.
 */
public record JobId(JobKind kind, String subject) {
    public JobId {
        if (kind == null || subject == null || subject.isEmpty()) throw new IllegalArgumentException("a job id needs a kind and a subject");
    }

    @Override
    public String toString() {
        return kind.label() + " " + subject;
    }
}
