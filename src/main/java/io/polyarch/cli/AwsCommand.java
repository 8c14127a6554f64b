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
        mixinStandardHelpOptions = true, subcommands = AwsCommand.Synth.class)
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
}
