package io.polyarch.pipeline.run;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a run behaves, fixed before it starts.
 *
 * @param env       the environment builders run with (DOCKER_HOST, PATH, ...)
 * @param binfmtDir where binfmt_misc handlers are registered ({@code /proc/sys/fs/binfmt_misc})
 * @param tempDir   where build scratch directories go
 * @param jobs      blobs transferred at once
 * @param rebuild   build every job even when an image with its build key is already in the destination
 * @param publish   publish the indexes (false: build, test and push only, as one CodeBuild job per platform does)
 * @param reuseOnly build nothing: every job must find its image by build key (the publish step after them)
 * @param signer    signs the index, each image and each provenance before any tag moves; null: nothing is signed
 * @param extras    --no-cache (which also rebuilds), --network and --secret for every build
 */
public record RunOptions(Map<String, String> env, Path binfmtDir, Path tempDir, int jobs, boolean rebuild, boolean publish, boolean reuseOnly,
                         io.polyarch.sign.Signer signer, io.polyarch.build.BuildExtras extras) {
    public RunOptions {
        env = Map.copyOf(env);
        if (jobs < 1) throw new IllegalArgumentException("jobs must be at least 1");
        if (rebuild && reuseOnly) throw new IllegalArgumentException("rebuild and reuseOnly exclude each other");
        if (extras == null) extras = io.polyarch.build.BuildExtras.NONE;
    }

    /** The same options, building nothing: every image is taken by build key (the publish step after remote builds). */
    public RunOptions asReuseOnly() {
        return new RunOptions(env, binfmtDir, tempDir, jobs, false, publish, true, signer, io.polyarch.build.BuildExtras.NONE);
    }

    public RunOptions(Map<String, String> env, Path binfmtDir, Path tempDir, int jobs, boolean rebuild, boolean publish, boolean reuseOnly) {
        this(env, binfmtDir, tempDir, jobs, rebuild, publish, reuseOnly, null, null);
    }
}
