package io.polyarch.cli;

import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.ConfigFiles;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code -c FILE} of the commands that render the pipeline for elsewhere (aws, export): run at the repository root,
 * the config is {@code -c} or polyarch.yaml / polyarch.yml / values.yaml there, and the jobs find it at the same path.
 */
final class RepoConfig {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml (default: found in the current directory).")
    String config;

    Path file(Context ctx) throws ConfigException {
        return ConfigFiles.find(config, ctx.cwd(), ctx.cwd()).orElseThrow(() -> new ConfigException("no "
                + String.join(", ", ConfigFiles.NAMES) + " in " + ctx.cwd() + ": run this at the repository root or give -c FILE"));
    }

    PipelineSpec load(Context ctx) throws ConfigException {
        return SpecLoader.load(file(ctx), SpecLoader.Overrides.none());
    }

    /** Where the jobs find the config: its path relative to the current directory (the repository root). */
    String inRepo(Context ctx) throws ConfigException {
        return ConfigFiles.inRepo(file(ctx), ctx.cwd());
    }

    /** {@code -o FILE}: where a rendered file goes instead of standard output. */
    static final class Output {
        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write it here instead of standard output.")
        String out;

        void write(Context ctx, String text, String what) throws IOException {
            if (out == null) {
                ctx.out.print(text);
                ctx.out.flush();
            } else {
                Files.writeString(ctx.cwd().resolve(out), text);
                ctx.err.println("wrote " + out + " (" + what + ")");
            }
        }
    }
}
