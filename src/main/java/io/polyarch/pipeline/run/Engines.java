package io.polyarch.pipeline.run;

import io.polyarch.build.Builder;
import io.polyarch.build.CommandRunner;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.PipelineSpec;

import java.util.Map;

/**
 * The builders of one run, one per engine, asked for by platform. Injected through a {@link Factory}, so a run can
 * be driven by a fake builder in a unit test, and by real engines everywhere else.
 */
public interface Engines extends AutoCloseable {
    /** The builder for a platform: its configured native endpoint's, or the local engine's; detected once. */
    Builder forPlatform(Platform p) throws RunFailedException, InterruptedException;

    /** Closes every builder made (waits for their background clean-up). */
    @Override
    void close();

    /** Makes the engines of a run from the config's builder block. */
    @FunctionalInterface
    interface Factory {
        Engines open(PipelineSpec.BuilderSpec spec);

        /** Docker or buildah on this machine, or docker on the endpoints the config names. */
        static Factory local(CommandRunner commands, Map<String, String> env, Platform host) {
            return spec -> new Builders(spec, commands, env, host);
        }
    }
}
