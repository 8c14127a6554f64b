package io.polyarch.pipeline.plan;

import java.util.Locale;

/** What a job of the {@link Plan} does: build, test, push and (with SOCI) index one cell; publish one variant. */
public enum JobKind {
    BUILD, TEST, PUSH, SOCI, PUBLISH;

    /** As ids and JSON spell it: {@code build}, {@code publish}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
