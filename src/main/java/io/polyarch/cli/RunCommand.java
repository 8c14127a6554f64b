package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.build.ProcessCommandRunner;
import io.polyarch.git.GitSource;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Sizes;
import io.polyarch.ops.Stores;
import io.polyarch.pipeline.run.PipelineRunner;
import io.polyarch.pipeline.run.RunReport;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.registry.http.Redact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import io.polyarch.aws.AwsSetup;
import io.polyarch.aws.EcrDestination;
import io.polyarch.store.StoreRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        // Jackson's first ObjectMapper takes ~0.1 s to set up; let that happen while Git and the engines are asked.
        Thread.ofPlatform().daemon().name("warm-up").start(OciJson::mapper);
        Path tmp = tmp();
        if (json != null && !json.equals("-") && Files.isDirectory(Path.of(json))) {
            throw new InvalidInputException("--json " + json + " is a directory; give a file name or '-'");
        }
        try (GitSource.Checkout checkout = checkout()) {
            PipelineSpec spec = spec(checkout);
            io.polyarch.registry.auth.CredentialProvider ecrCredentials = null;
            AwsSetup aws = null; // kept for the CodeBuild executor
            if (spec.destination() instanceof PipelineSpec.Ecr ecr) {
                try {
                    aws = AwsSetup.fromEnv(ctx.env, ecr.region());
                } catch (io.polyarch.aws.AwsException e) {
                    throw new io.polyarch.aws.AwsException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "': " + e.getMessage(), e.usage(), e);
                }
                EcrDestination.Resolved r = EcrDestination.resolve(ecr, aws, m -> ctx.err.println(m));
                spec = spec.withDestination(new PipelineSpec.Target(StoreRef.parse(r.repository()), ecr.origin()));
                ecrCredentials = io.polyarch.registry.auth.CredentialProvider.fixed(r.registryHost(), r.credentials());
                if (r.immutableTags() && !registry.quiet) {
                    ctx.err.println("note: " + r.repository() + " has immutable tags: tags already in place are kept, and a tag that would move fails the run");
                }
            }
            try (AwsSetup closeAws = aws) {
                return runPipeline(checkout, spec, ecrCredentials, aws, tmp);
            }
        }
    }

    /** Builds (here, or on CodeBuild) and publishes, with the destination already resolved. */
    private int runPipeline(GitSource.Checkout checkout, PipelineSpec spec, io.polyarch.registry.auth.CredentialProvider ecrCredentials, AwsSetup aws, Path tmp)
            throws Exception {
        boolean onCodeBuild = switch (executor) {
            case "local" -> false;
            case "codebuild" -> true;
            default -> throw new InvalidInputException("--executor '" + executor + "': expected local or codebuild");
        };
        if (onCodeBuild) {
            if (aws == null) {
                throw new InvalidInputException("--executor codebuild publishes to the pipeline's ECR destination: set destination.ecr (not --to)");
            }
            if (checkout.dirty()) throw new InvalidInputException("--executor codebuild builds a commit CodeBuild can clone: commit and push your changes first");
            if (noPublish || reuseOnly || rebuild) throw new InvalidInputException("--executor codebuild takes neither --no-publish, --reuse-only nor --rebuild");
        }
        try (Stores stores = registry.stores(ctx, System.in, ecrCredentials)) {
            Terminal term = new Terminal(ctx, registry.quiet);
            if (onCodeBuild) {
                Path cfg = configFile(checkout);
                String inRepo = cfg == null ? "polyarch.yaml" : checkout.root().relativize(cfg.toAbsolutePath().normalize()).toString().replace('\\', '/');
                List<io.polyarch.aws.CodeBuildExecutor.JobResult> jobs = new io.polyarch.aws.CodeBuildExecutor(aws, (cell, line) -> {
                    if (cell.isEmpty()) term.note(line);
                    else term.log(cell, line);
                }, AwsCommand.poll(ctx)).run(spec, checkout.commit(), inRepo, AwsCommand.selfJar(ctx));
                List<String> failed = jobs.stream().filter(j -> !j.ok()).map(j -> j.platform() + " (" + j.buildId() + ": " + j.status() + ")").toList();
                if (!failed.isEmpty()) {
                    term.stop();
                    ctx.out.println("FAILED on CodeBuild: " + String.join(", ", failed) + "; no index tag was written or moved");
                    return Main.FAILED;
                }
            }
            PipelineRunner.Options opts = new PipelineRunner.Options(ctx.env,
                    Path.of(ctx.env.getOrDefault("POLYARCH_BINFMT_DIR", "/proc/sys/fs/binfmt_misc")), tmp, registry.jobs,
                    new ProcessCommandRunner(), Platform.host(), rebuild, !noPublish, reuseOnly || onCodeBuild);
            String head = "polyarch run: " + checkout.root() + " @ " + checkout.commit().substring(0, 8)
                    + (checkout.branch() != null ? " (" + checkout.branch() + ")" : "") + " for " + String.join(", ", spec.platforms().stream().map(Platform::toString).toList());
            if (!registry.quiet) term.info(head);
            RunReport report;
            try {
                report = new PipelineRunner(stores, opts, term).run(spec, checkout);
            } finally {
                term.stop();
            }
            if (json != null) writeJson(report);
            printSummary(report, json != null && json.equals("-") ? ctx.err : ctx.out);
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

    private static ObjectNode imageJson(ObjectNode n, RunReport.ImageReport i) {
        n.put("platform", i.platform().toString());
        n.put("state", i.state());
        n.put("digest", i.digest() == null ? null : i.digest().toString());
        n.put("size", i.size());
        ArrayNode t = n.putArray("tags");
        i.tags().forEach(t::add);
        n.put("builder", i.builder());
        n.put("buildMs", i.buildMs());
        n.put("engineMs", i.engineMs());
        n.put("pushMs", i.pushMs());
        if (i.sociIndex() != null) n.put("sociIndex", i.sociIndex().toString()).put("sociMs", i.sociMs());
        if (i.reused() != null) n.put("reused", i.reused());
        if (i.error() != null) n.put("error", Redact.text(i.error()));
        return n;
    }

    private void writeJson(RunReport r) throws IOException {
        ObjectNode o = OciJson.mapper().createObjectNode();
        o.put("ok", r.ok());
        o.put("repository", r.repository());
        o.put("commit", r.commit());
        o.put("branch", r.branch());
        ArrayNode tags = o.putArray("tags");
        r.tags().forEach(tags::add);
        ArrayNode tw = o.putArray("tagsWritten");
        r.tagsWritten().forEach(tw::add);
        ArrayNode tu = o.putArray("tagsUnchanged");
        r.tagsUnchanged().forEach(tu::add);
        if (r.index() != null) {
            o.putObject("index").put("digest", r.index().digest().toString()).put("mediaType", r.index().mediaType().value()).put("size", r.index().size());
        } else {
            o.putNull("index");
        }
        ArrayNode images = o.putArray("images");
        for (RunReport.VariantReport v : r.variants()) {
            for (RunReport.ImageReport i : v.images()) {
                ObjectNode n = images.addObject();
                if (!v.name().isEmpty()) n.put("variant", v.name());
                imageJson(n, i);
            }
        }
        ArrayNode variants = o.putArray("variants");
        for (RunReport.VariantReport v : r.variants()) {
            ObjectNode n = variants.addObject();
            n.put("name", v.name());
            ObjectNode vars = n.putObject("vars");
            v.vars().forEach(vars::put);
            n.put("ok", v.failure() == null);
            ArrayNode vt = n.putArray("tags");
            v.tags().forEach(vt::add);
            ArrayNode vw = n.putArray("tagsWritten");
            v.tagsWritten().forEach(vw::add);
            if (v.index() != null) {
                n.putObject("index").put("digest", v.index().digest().toString()).put("mediaType", v.index().mediaType().value());
            } else {
                n.putNull("index");
            }
            ArrayNode vi = n.putArray("images");
            v.images().forEach(i -> imageJson(vi.addObject(), i));
            if (v.failure() != null) n.put("failure", Redact.text(v.failure()));
        }
        ArrayNode jobs = o.putArray("jobs");
        for (RunReport.JobReport j : r.jobs()) {
            ObjectNode n = jobs.addObject().put("id", j.id()).put("state", j.state()).put("ms", j.ms());
            if (j.detail() != null) n.put("detail", Redact.text(j.detail()));
        }
        ObjectNode d = o.putObject("durationsMs");
        r.durationsMs().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> d.put(e.getKey(), e.getValue()));
        ArrayNode notes = o.putArray("notes");
        r.notes().forEach(n -> notes.add(Redact.text(n)));
        if (r.failure() != null) o.put("failure", Redact.text(r.failure()));
        String text = OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o);
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
