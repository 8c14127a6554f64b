package io.polyarch.pipeline.run;

import io.polyarch.error.PolyarchException;
import io.polyarch.git.GitSource;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.spec.PipelineSpec;

/**
 * Runs a {@link Plan} and reports what happened: here ({@link LocalExecutor}, over the DagRunner), or elsewhere (the
 * CodeBuild executor in {@code io.polyarch.aws} runs each platform job as a CodeBuild build, then publishes here).
 * Whatever runs it, a failed run moves no index tag.
 */
public interface Executor {
    RunReport execute(Plan plan, PipelineSpec spec, GitSource.Checkout src) throws PolyarchException, InterruptedException;
}
