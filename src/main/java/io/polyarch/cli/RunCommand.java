package io.polyarch.cli;

import io.polyarch.aws.AwsSetup;
import io.polyarch.aws.CodeBuildExecutor;
import io.polyarch.aws.EcrResolver;
import io.polyarch.build.ProcessCommandRunner;
import io.polyarch.git.GitSource;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Sizes;
import io.polyarch.ops.Stores;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.plan.PlanBuilder;
import io.polyarch.pipeline.run.DestinationResolver;
import io.polyarch.pipeline.run.Engines;
import io.polyarch.pipeline.run.Executor;
import io.polyarch.pipeline.run.LocalExecutor;
import io.polyarch.pipeline.run.RunOptions;
import io.polyarch.pipeline.run.RunReport;
import io.polyarch.pipeline.run.RunSummary;
import io.polyarch.pipeline.spec.ConfigFiles;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.http.Redact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Build a Git checkout's Dockerfile for every platform in parallel and publish one multi-platform index.",
                "Config: polyarch.yaml at the repository root (or -c FILE; a MakeOps values.yaml works unchanged); flags override it.",
                "Each platform is built natively or under QEMU, checked, and pushed by digest with <tag>-<arch> tags;",
                "the index is written under every tag only when every platform succeeded.",
                "Exit codes: 0 published, 1 a build or the publish failed (no index tag moved), 2 bad usage or config."})
final class RunCommand extends PipelineOptions implements Callable<Integer> {
    @Option(names = "--rebuild", description = "Build every platform even when the destination has an image with the same build key.")
    boolean rebuild;

    @picocli.CommandLine.Mixin
    BuildFlags buildFlags;

    @Option(names = "--no-publish", description = "Build, test and push only; publish no index (one CodeBuild job per platform does this).")
    boolean noPublish;

    @Option(names = "--reuse-only", description = "Build nothing: take every platform's image by its build key and publish (the step after --no-publish jobs).")
    boolean reuseOnly;

    @Option(names = "--executor", defaultValue = "local", paramLabel = "local|codebuild",
            description = "Where the platform jobs run: here (default), or on the deployed stack's CodeBuild projects (native per platform), then published here.")
    String executor;

    @Option(names = "--json", paramLabel = "FILE|-", description = "Write the summary as JSON to FILE, or to standard output with '-'.")
    String json;

    @Mixin
    RegistryMixin registry;

    @Override
    public Integer call() throws Exception {
        // Jackson's first ObjectMapper takes ~0.1 s to set up, and its first look at the summary's records more; let
        // that happen while Git and the engines are asked.
        Thread.ofPlatform().daemon().name("warm-up").start(() -> {
            try {
                // reading first: the engine's answers and the base images' manifests are read before any build starts
                OciJson.mapper().readTree("{\"Version\":\"0\",\"DriverStatus\":[[\"a\",\"b\"]],\"n\":1,\"t\":true}");
                OciJson.mapper().writeValueAsString(RunSummary.sample());
            } catch (java.io.IOException | RuntimeException ignored) {
                // only a warm-up
            }
        });
        if (json != null && !json.equals("-") && Files.isDirectory(Path.of(json))) {
            throw new InvalidInputException("--json " + json + " is a directory; give a file name or '-'");
        }
        boolean onCodeBuild = switch (executor) {
            case "local" -> false;
            case "codebuild" -> true;
            default -> throw new InvalidInputException("--executor '" + executor + "': expected local or codebuild");
        };
        if (onCodeBuild && (noPublish || reuseOnly || rebuild)) {
            throw new InvalidInputException("--executor codebuild takes neither --no-publish, --reuse-only nor --rebuild");
        }
        if (rebuild && reuseOnly) throw new InvalidInputException("--rebuild and --reuse-only exclude each other");
        if (buildFlags.noCache && reuseOnly) throw new InvalidInputException("--no-cache and --reuse-only exclude each other");
        try (GitSource.Checkout checkout = checkout()) {
            try {
                return run(checkout, onCodeBuild);
            } catch (io.polyarch.error.PolyarchException e) {
                // a CI gate reading --json gets an answer even when the run could not start
                if (json != null) writeJson(RunSummary.failed(to, checkout.commit(), checkout.branch(), e.getMessage()));
                throw e;
            } catch (InterruptedException e) {
                if (json != null) writeJson(RunSummary.failed(to, checkout.commit(), checkout.branch(), "interrupted before any build finished; nothing was published"));
                throw e;
            }
        }
    }

    /** The spec's signer, opened before anything is built: a key that does not open stops the run here. */
    private io.polyarch.sign.Signer signer(PipelineSpec spec, EcrResolver resolver) throws Exception {
        PipelineSpec.Sign s = spec.metadata().sign();
        if (s == null) return null;
        if (s.key() != null) return io.polyarch.sign.KeyFiles.signer(cwd().resolve(s.key()), ctx.env.get("COSIGN_PASSWORD"));
        return io.polyarch.aws.KmsSigner.open(s.kms(), ctx.env);
    }

    private int run(GitSource.Checkout checkout, boolean onCodeBuild) throws Exception {
        PipelineSpec configured = spec(checkout);
        EcrResolver resolver = new EcrResolver(ctx.env, m -> ctx.err.println(m), !noPublish);
        try (DestinationResolver.Resolved dest = resolver.resolve(configured);
             Stores stores = registry.stores(ctx, System.in, dest.credentials())) {
            if (!registry.quiet) dest.notes().forEach(n -> ctx.err.println("note: " + n));
            PipelineSpec spec = dest.spec();
            Plan plan = PlanBuilder.build(spec, checkout, !noPublish);
            Terminal term = new Terminal(ctx, registry.quiet);
            RunOptions opts = new RunOptions(ctx.libraryEnv(), Path.of(ctx.env.getOrDefault("POLYARCH_BINFMT_DIR", "/proc/sys/fs/binfmt_misc")), tmp(),
                    registry.jobs, rebuild || buildFlags.noCache, !noPublish, reuseOnly, signer(spec, resolver), buildFlags.extras(ctx.env, spec.buildOptions()));
            LocalExecutor local = new LocalExecutor(stores, opts, term, Engines.Factory.local(new ProcessCommandRunner(), ctx.libraryEnv(), ctx.host()),
                    ctx.host());
            Executor exec = local;
            if (onCodeBuild) {
                AwsSetup aws = resolver.session().orElseThrow(() -> new InvalidInputException(
                        "--executor codebuild publishes to the pipeline's ECR destination: set destination.ecr (not --to)"));
                Path cfg = configFile(checkout);
                exec = new CodeBuildExecutor(aws, (cell, line) -> {
                    if (cell.isEmpty()) term.note(line);
                    else term.log(cell, line);
                }, AwsCommand.poll(ctx), cfg == null ? "polyarch.yaml" : ConfigFiles.inRepo(cfg, checkout.root()), AwsCommand.selfJar(ctx),
                        local.with(opts.asReuseOnly()));
            }
            String head = "polyarch run: " + checkout.root() + " @ " + checkout.commit().substring(0, 8)
                    + (checkout.branch() != null ? " (" + checkout.branch() + ")" : "") + " for "
                    + String.join(", ", spec.platforms().stream().map(Platform::toString).toList());
            if (!registry.quiet) term.info(head);
            RunReport report;
            try {
                report = exec.execute(plan, spec, checkout);
            } finally {
                term.stop();
            }
            if (json != null) writeJson(RunSummary.of(report));
            printSummary(report, json != null && json.equals("-") ? ctx.err : ctx.out);
            if (ctx.signal() != null) return ctx.signalExitCode();
            return report.ok() ? Main.OK : Main.FAILED;
        }
    }

    private void printSummary(RunReport r, java.io.PrintWriter w) {
        w.println();
        boolean matrix = r.variants().size() > 1 || !r.variants().get(0).name().isEmpty();
        w.printf("%-" + (matrix ? 30 : 14) + "s %-73s %10s %8s %8s  %s%n", matrix ? "VARIANT / PLATFORM" : "PLATFORM", "DIGEST", "SIZE", "BUILD", "PUSH", "TAGS");
        for (RunReport.VariantReport v : r.variants()) {
            for (RunReport.ImageReport i : v.images()) {
                String label = matrix ? v.name() + " " + i.platform() : i.platform().toString();
                w.printf("%-" + (matrix ? 30 : 14) + "s %-73s %10s %8s %8s  %s%n", label, i.digest() == null ? i.state().toUpperCase() : i.digest().toString(),
                        i.digest() == null ? "-" : Sizes.human(i.size()), i.reused() != null ? "reused" : secs(i.buildMs()), i.digest() == null ? "-" : secs(i.pushMs()),
                        String.join(", ", i.tags()));
            }
        }
        for (RunReport.VariantReport v : r.variants()) {
            for (RunReport.ImageReport i : v.images()) {
                if (i.error() != null && "failed".equals(i.state())) {
                    w.println((matrix ? v.name() + " " : "") + i.platform() + " failed: " + Redact.text(i.error()));
                }
            }
        }
        for (RunReport.VariantReport v : r.variants()) {
            for (RunReport.ImageReport i : v.images()) {
                if (i.reused() != null) w.println((matrix ? v.name() + " " : "") + i.platform() + " reused: " + i.reused());
                if (i.sociIndex() != null) {
                    w.println((matrix ? v.name() + " " : "") + i.platform() + " SOCI index " + i.sociIndex() + " (" + secs(i.sociMs()) + ")");
                }
            }
        }
        for (String n : r.notes()) w.println("note: " + n);
        for (RunReport.VariantReport v : r.variants()) {
            if (v.index() == null) continue;
            String prefix = matrix ? v.name() + ": " : "";
            w.println(prefix + "index   " + r.repository() + "@" + v.index().digest() + " (" + v.index().mediaType() + ")");
            w.println(prefix + "tags    " + String.join(", ", v.tags()) + (v.tagsWritten().isEmpty() ? "  (all already in place: nothing changed)"
                    : v.tagsUnchanged().isEmpty() ? "" : "  (unchanged: " + String.join(", ", v.tagsUnchanged()) + ")"));
            if (!r.repository().startsWith("oci:")) {
                w.println(prefix + "pull    docker pull " + r.repository() + ":" + v.tags().get(0) + "   (any platform: add --platform linux/arm64)");
            }
        }
        if (r.ok()) {
            w.println("done in " + secs(r.durationsMs().getOrDefault("total", 0L)));
        } else {
            w.println("FAILED: " + Redact.text(r.failure()));
        }
        w.flush();
    }

    private void writeJson(RunSummary summary) throws IOException {
        String text = OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary);
        if (json.equals("-")) {
            ctx.out.println(text);
            ctx.out.flush();
        } else {
            Files.writeString(Path.of(json), text + "\n");
        }
    }

    static String secs(long ms) {
        return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
