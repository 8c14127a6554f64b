package io.polyarch.cli;

import io.polyarch.aws.BatchBuildspec;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export", description = "Render the pipeline for another CI system.", mixinStandardHelpOptions = true,
        subcommands = ExportCommand.CodebuildBatch.class)
final class ExportCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: polyarch export codebuild-batch --help");
    }

    @Command(name = "codebuild-batch", mixinStandardHelpOptions = true,
            description = {"Write a CodeBuild batch buildspec (build-graph): one build per platform on its native image running",
                    "polyarch run --platform P --no-publish, then a publish build (--reuse-only) that depends on them. Run it at the repository root."})
    static final class CodebuildBatch extends ContextCommand implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml (default: found in the current directory).")
        String config;

        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the buildspec here instead of standard output.")
        String out;

        @Override
        public Integer call() throws Exception {
            Path cfg = AwsCommand.config(ctx, config);
            PipelineSpec spec = SpecLoader.load(cfg, SpecLoader.Overrides.none());
            String yaml = BatchBuildspec.render(spec, AwsCommand.inRepo(ctx, cfg));
            if (out == null) {
                ctx.out.print(yaml);
            } else {
                Files.writeString(Path.of(ctx.env.getOrDefault("PWD", System.getProperty("user.dir"))).resolve(out), yaml);
                ctx.err.println("wrote " + out);
            }
            ctx.out.flush();
            return Main.OK;
        }
    }
}
