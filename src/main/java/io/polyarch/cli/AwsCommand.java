package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.aws.PipelineTemplate;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "aws", description = "Run the same pipeline on AWS: CodePipeline with native CodeBuild builders per platform.",
        mixinStandardHelpOptions = true,
        subcommands = {AwsCommand.Synth.class, AwsCommand.Deploy.class, AwsCommand.Status.class, AwsCommand.Destroy.class})
final class AwsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: polyarch aws synth --help");
    }

    /** The config file: -c, else polyarch.yaml / polyarch.yml / values.yaml in the current directory (the repository root). */
    static Path config(Context ctx, String option) throws InvalidInputException {
        Path cwd = Path.of(ctx.env.getOrDefault("PWD", System.getProperty("user.dir")));
        if (option != null) {
            Path p = cwd.resolve(option);
            if (!Files.isRegularFile(p)) throw new InvalidInputException("-c " + option + ": no such file");
            return p;
        }
        for (String n : List.of("polyarch.yaml", "polyarch.yml", "values.yaml")) {
            if (Files.isRegularFile(cwd.resolve(n))) return cwd.resolve(n);
        }
        throw new InvalidInputException("no polyarch.yaml or values.yaml in " + cwd + ": run this at the repository root or give -c FILE");
    }

    /** Where the jobs find the config: its path relative to the current directory (the repository root). */
    static String inRepo(Context ctx, Path config) {
        Path cwd = Path.of(ctx.env.getOrDefault("PWD", System.getProperty("user.dir"))).toAbsolutePath().normalize();
        Path abs = config.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs).toString().replace('\\', '/') : abs.getFileName().toString();
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = {"Write the CloudFormation template (JSON) for the pipeline in the config: ECR repository (unless exists: true),",
                    "artifact bucket, CodePipeline V2 from GitHub through the CodeConnections ARN, one CodeBuild project per platform on its",
                    "native builder, a publish project, least-privilege roles and log groups. Run it at the repository root."})
    static final class Synth extends ContextCommand implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml (default: found in the current directory).")
        String config;

        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the template here instead of standard output.")
        String out;

        @Override
        public Integer call() throws Exception {
            Path cfg = config(ctx, config);
            PipelineSpec spec = SpecLoader.load(cfg, SpecLoader.Overrides.none());
            ObjectNode t = PipelineTemplate.render(spec, new PipelineTemplate.Options(inRepo(ctx, cfg)));
            String json = OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(t);
            if (out == null) {
                ctx.out.println(json);
            } else {
                Files.writeString(Path.of(ctx.env.getOrDefault("PWD", System.getProperty("user.dir"))).resolve(out), json + "\n");
                ctx.err.println("wrote " + out + " (" + t.path("Resources").size() + " resources)");
            }
            return Main.OK;
        }
    }

    /** The spec and AWS set-up every stack command needs, with the region checks deploy must make before calling AWS. */
    static PipelineSpec specFor(Context ctx, String config) throws Exception {
        return SpecLoader.load(config(ctx, config), SpecLoader.Overrides.none());
    }

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
            if (arn.length > 3 && !arn[3].equals(aws.region().id())) {
                aws.close();
                throw new io.polyarch.aws.AwsException(spec.origin() + ": source.github.connectionArn is in " + arn[3] + " but the pipeline would be in "
                        + aws.region().id() + "; connections are regional: create one in " + aws.region().id() + " or deploy to " + arn[3], true, null);
            }
        }
        return aws;
    }

    static String stackName(PipelineSpec spec, String option) {
        return option != null ? option : io.polyarch.aws.PipelineTemplate.pipelineName(spec);
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
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml.")
        String config;

        @Option(names = "--stack", paramLabel = "NAME", description = "Stack name (default: the pipelineName).")
        String stack;

        @Option(names = "--dry-run", description = "Show the change set, then delete it without executing.")
        boolean dryRun;

        @Option(names = "--jar", paramLabel = "FILE", description = "The polyarch jar the jobs run (default: this one).")
        String jar;

        @Override
        public Integer call() throws Exception {
            Path cfg = config(ctx, config);
            PipelineSpec spec = SpecLoader.load(cfg, SpecLoader.Overrides.none());
            ObjectNode t = PipelineTemplate.render(spec, new PipelineTemplate.Options(inRepo(ctx, cfg)));
            Path jarPath = jar != null ? Path.of(jar) : selfJar(ctx);
            if (!Files.isRegularFile(jarPath)) throw new InvalidInputException("--jar " + jarPath + ": not a file (build it with ./mvnw package)");
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                var out = new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).deploy(stackName(spec, stack), t, jarPath, dryRun);
                ctx.out.println(out.stackName() + " " + out.status() + (out.changed() ? "" : " (unchanged)"));
                out.outputs().forEach((k, v) -> ctx.out.println(k + " = " + v));
            }
            return Main.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The pipeline stack's status and outputs.")
    static final class Status extends ContextCommand implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml.")
        String config;

        @Option(names = "--stack", paramLabel = "NAME", description = "Stack name (default: the pipelineName).")
        String stack;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = specFor(ctx, config);
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                var out = new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).status(stackName(spec, stack));
                ctx.out.println(out.stackName() + " " + out.status());
                out.outputs().forEach((k, v) -> ctx.out.println(k + " = " + v));
            }
            return Main.OK;
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Delete the pipeline stack (after emptying its artifact bucket); the ECR repository and its images are kept.")
    static final class Destroy extends ContextCommand implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "polyarch.yaml or MakeOps values.yaml.")
        String config;

        @Option(names = "--stack", paramLabel = "NAME", description = "Stack name (default: the pipelineName).")
        String stack;

        @Option(names = "--yes", description = "Really delete it.")
        boolean yes;

        @Override
        public Integer call() throws Exception {
            PipelineSpec spec = specFor(ctx, config);
            String name = stackName(spec, stack);
            if (!yes) throw new InvalidInputException("destroy deletes stack " + name + " (pipeline, build projects, roles, log groups, artifact bucket); add --yes");
            try (io.polyarch.aws.AwsSetup aws = aws(ctx, spec)) {
                new io.polyarch.aws.StackDeployer(aws, ctx.err::println, poll(ctx)).destroy(name);
                ctx.out.println(name + " DELETE_COMPLETE");
            }
            return Main.OK;
        }
    }
}
