package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.aws.PipelineTemplate;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.spec.PipelineSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "aws", description = "Run the same pipeline on AWS: CodePipeline with native CodeBuild builders per platform.",
        mixinStandardHelpOptions = true,
        subcommands = {AwsCommand.Synth.class, AwsCommand.Deploy.class, AwsCommand.Status.class, AwsCommand.Destroy.class})
final class AwsCommand extends GroupCommand {

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = {"Write the CloudFormation template (JSON) for the pipeline in the config: ECR repository (unless exists: true),",
                    "artifact bucket, CodePipeline V2 from GitHub through the CodeConnections ARN, one CodeBuild project per platform on its",
                    "native builder, a publish project, least-privilege roles and log groups. Run it at the repository root."})
    static final class Synth extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        RepoConfig.Output output;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = config.load(ctx);
            ObjectNode t = PipelineTemplate.render(spec, new PipelineTemplate.Options(config.inRepo(ctx)));
            PipelineTemplate.notes(spec).forEach(n -> ctx.err.println("note: " + n));
            output.write(ctx, OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(t) + "\n", t.path("Resources").size() + " resources");
            return Main.OK;
        }
    }

    /** {@code --stack NAME}, the pipelineName by default. */
    static final class StackName {
        @Option(names = "--stack", paramLabel = "NAME", description = "Stack name (default: the pipelineName).")
        String stack;

        String of(PipelineSpec spec) {
            return stack != null ? stack : PipelineTemplate.pipelineName(spec);
        }
    }

    /** The AWS set-up every stack command needs, after the region checks deploy must make before calling AWS. */
    static io.polyarch.aws.AwsSetup aws(Context ctx, PipelineSpec spec) throws io.polyarch.aws.AwsException {
        String configured = spec.destination() instanceof PipelineSpec.Ecr ecr ? ecr.region() : null;
        String env = ctx.env.getOrDefault("AWS_REGION", ctx.env.get("AWS_DEFAULT_REGION"));
        if (configured != null && env != null && !env.isBlank() && !configured.equals(env)) {
            throw new io.polyarch.aws.AwsException(spec.origin() + ": destination.ecr.region is " + configured + " but AWS_REGION is " + env
                    + "; the pipeline lives in one region: unset AWS_REGION or change the config", true, null);
        }
        io.polyarch.aws.AwsSetup aws = io.polyarch.aws.AwsSetup.fromEnv(ctx.env, configured);
        if (spec.github() != null && spec.github().connectionArn() != null) {
            String[] arn = spec.github().connectionArn().split(":");
            if (arn.length > 3 && !arn[3].equals(aws.regionId())) {
                aws.close();
                throw new io.polyarch.aws.AwsException(spec.origin() + ": source.github.connectionArn is in " + arn[3] + " but the pipeline would be in "
                        + aws.regionId() + "; connections are regional: create one in " + aws.regionId() + " or deploy to " + arn[3], true, null);
            }
        }
        return aws;
    }

    /** The polyarch jar to run on CodeBuild: POLYARCH_JAR if set, else the jar this runs from. */
    static Path selfJar(Context ctx) throws Exception {
        String env = ctx.env.get("POLYARCH_JAR");
        Path p = env != null && !env.isBlank() ? Path.of(env) : Path.of(AwsCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(p)) throw new InvalidInputException(p + " is not the polyarch jar: run ./polyarch (which builds it) or set POLYARCH_JAR");
        return p;
    }

    static java.time.Duration poll(Context ctx) {
        return java.time.Duration.ofMillis(Long.parseLong(ctx.env.getOrDefault("POLYARCH_AWS_POLL_MS", "5000")));
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = {"Create or update the pipeline's stack: upload this polyarch jar, make a change set from the template aws synth writes,",
                    "show it, execute it, stream the stack events and print the outputs. Run it at the repository root."})
    static final class Deploy extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        StackName stack;

        @Option(names = "--dry-run", description = "Show the change set, then delete it without executing.")
        boolean dryRun;

        @Option(names = "--jar", paramLabel = "FILE", description = "The polyarch jar the jobs run (default: this one).")
        String jar;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = config.load(ctx);
            ObjectNode t = PipelineTemplate.render(spec, new PipelineTemplate.Options(config.inRepo(ctx)));
            PipelineTemplate.notes(spec).forEach(n -> ctx.err.println("note: " + n));
            Path jarPath = jar != null ? ctx.cwd().resolve(jar) : selfJar(ctx);
            if (!Files.isRegularFile(jarPath)) throw new InvalidInputException("--jar " + jar + ": not a file (build it with ./mvnw package)");
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                var out = new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).deploy(stack.of(spec), t, jarPath, dryRun);
                ctx.out.println(out.stackName() + " " + out.status() + (out.changed() ? "" : " (unchanged)"));
                out.outputs().forEach((k, v) -> ctx.out.println(k + " = " + v));
            }
            return Main.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The pipeline stack's status and outputs.")
    static final class Status extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        StackName stack;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = config.load(ctx);
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                var out = new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).status(stack.of(spec));
                ctx.out.println(out.stackName() + " " + out.status());
                out.outputs().forEach((k, v) -> ctx.out.println(k + " = " + v));
            }
            return Main.OK;
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Delete the pipeline stack (after emptying its artifact bucket); the ECR repository and its images are kept.")
    static final class Destroy extends ContextCommand implements Callable<Integer> {
        @Mixin
        RepoConfig config;

        @Mixin
        StackName stack;

        @Option(names = "--yes", description = "Really delete it.")
        boolean yes;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = config.load(ctx);
            String name = stack.of(spec);
            if (!yes) throw new InvalidInputException("destroy deletes stack " + name + " (pipeline, build projects, roles, log groups, artifact bucket); add --yes");
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).destroy(name);
                ctx.out.println(name + " DELETE_COMPLETE");
            }
            return Main.OK;
        }
    }
}
