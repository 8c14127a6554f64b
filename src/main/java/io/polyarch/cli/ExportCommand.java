package io.polyarch.cli;

import io.polyarch.aws.BatchBuildspec;
import io.polyarch.pipeline.spec.PipelineSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "export", description = "Render the pipeline for another CI system.", mixinStandardHelpOptions = true,
        subcommands = {ExportCommand.CodebuildBatch.class, ExportCommand.GithubActions.class, ExportCommand.GitlabCi.class})
final class ExportCommand extends GroupCommand {

    /** What every export does: read the config at the repository root, render it, write it to -o or standard output. */
    abstract static class Export extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        RepoConfig.Output output;

        abstract String render(PipelineSpec spec, String configPath);

        abstract String what();

        @Override
        public Integer call() throws Exception {
            output.write(ctx, render(config.load(ctx), config.inRepo(ctx)), what());
            return Main.OK;
        }
    }

    @Command(name = "codebuild-batch", mixinStandardHelpOptions = true,
            description = {"Write a CodeBuild batch buildspec (build-graph): one build per platform on its native image running",
                    "polyarch run --platform P --no-publish, then a publish build (--reuse-only) that depends on them. Run it at the repository root."})
    static final class CodebuildBatch extends Export {
        String render(PipelineSpec spec, String configPath) {
            return BatchBuildspec.render(spec, configPath);
        }

        String what() {
            return "CodeBuild batch buildspec";
        }
    }

    @Command(name = "github-actions", mixinStandardHelpOptions = true,
            description = {"Write a GitHub Actions workflow: a job per platform on its native runner (ubuntu-24.04, ubuntu-24.04-arm) running",
                    "polyarch run --platform P --no-publish, then a publish job (--reuse-only) that needs them. Run it at the repository root."})
    static final class GithubActions extends Export {
        String render(PipelineSpec spec, String configPath) {
            return io.polyarch.ci.GithubWorkflow.render(spec, configPath);
        }

        String what() {
            return "GitHub Actions workflow";
        }
    }

    @Command(name = "gitlab-ci", mixinStandardHelpOptions = true,
            description = {"Write a .gitlab-ci.yml: a job per platform on a runner of its architecture with Docker-in-Docker, running",
                    "polyarch run --platform P --no-publish, then a publish job (--reuse-only) that needs them. Run it at the repository root."})
    static final class GitlabCi extends Export {
        String render(PipelineSpec spec, String configPath) {
            return io.polyarch.ci.GitlabPipeline.render(spec, configPath);
        }

        String what() {
            return "GitLab CI pipeline";
        }
    }
}
