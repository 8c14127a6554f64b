package io.polyarch.cli;

import io.polyarch.aws.BatchBuildspec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "export", description = "Render the pipeline for another CI system.", mixinStandardHelpOptions = true,
        subcommands = ExportCommand.CodebuildBatch.class)
final class ExportCommand extends GroupCommand {

    @Command(name = "codebuild-batch", mixinStandardHelpOptions = true,
            description = {"Write a CodeBuild batch buildspec (build-graph): one build per platform on its native image running",
                    "polyarch run --platform P --no-publish, then a publish build (--reuse-only) that depends on them. Run it at the repository root."})
    static final class CodebuildBatch extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        RepoConfig.Output output;

        @Override
        public Integer call() throws Exception {
            output.write(ctx, BatchBuildspec.render(config.load(ctx), config.inRepo(ctx)), "CodeBuild batch buildspec");
            return Main.OK;
        }
    }
}
