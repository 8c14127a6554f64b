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
import io.polyarch.pipeline.spec.SpecLoader;
import io.polyarch.registry.http.Redact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Build a Git checkout's Dockerfile for every platform in parallel and publish one multi-platform index.",
                "Config: polyarch.yaml at the repository root (or -c FILE; a MakeOps values.yaml works unchanged); flags override it.",
                "Each platform is built natively or under QEMU, checked, and pushed by digest with <tag>-<arch> tags;",
                "the index is written under every tag only when every platform succeeded.",
                "Exit codes: 0 published, 1 a build or the publish failed (no index tag moved), 2 bad usage or config."})
final class RunCommand implements Callable<Integer>, Main.HasContext {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Pipeline config (default: polyarch.yaml or polyarch.yml at the repository root, if present).")
    Path config;

    @Option(names = "--source", paramLabel = "DIR|GIT_URL", description = "The repository to build (default: the checkout containing the current directory). A URL is cloned into a temporary directory.")
    String source;

    @Option(names = "--ref", paramLabel = "BRANCH|TAG|SHA", description = "What to check out of --source (default: its HEAD).")
    String ref;

    @Option(names = "--to", paramLabel = "REPOSITORY|oci:DIR", description = "Publish here instead of the config's destination: HOST[:PORT]/PATH or an OCI layout directory.")
    String to;

    @Option(names = "--platform", paramLabel = "OS/ARCH[,...]", description = "Platforms to build (repeatable or comma-separated; default: the config's, else linux/amd64,linux/arm64).")
    List<String> platforms = new ArrayList<>();

    @Option(names = "--build-arg", paramLabel = "NAME=VALUE", description = "A build argument (repeatable; overrides buildArgs).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--builder", paramLabel = "auto|docker|buildah", description = "The build engine (default: the config's, else auto: docker if an engine answers, else buildah).")
    String builder;

    @Option(names = "--workdir", paramLabel = "DIR", description = "The build context, relative to the repository root (overrides workDir).")
    String workDir;

    @Option(names = {"-f", "--dockerfile"}, paramLabel = "FILE", description = "The Dockerfile, relative to the build context (overrides dockerfile).")
    String dockerfile;

    @Option(names = "--target", paramLabel = "STAGE", description = "The Dockerfile stage to build (overrides target).")
    String target;

    @Option(names = "--no-arch-tags", description = "Push per-platform images by digest only, without <tag>-<arch> tags.")
    boolean noArchTags;

    @Option(names = "--tag-rule", paramLabel = "RULE", description = "A tag rule (repeatable; replaces tagRules): latest, commit, commit-short, branch, semver, or a template like {branch}-{commit-short}.")
    List<String> tagRules = new ArrayList<>();

    @Option(names = "--json", paramLabel = "FILE|-", description = "Write the summary as JSON to FILE, or to standard output with '-'.")
    String json;

    @Mixin
    RegistryMixin registry;

    private Context ctx;

    @Override
    public void context(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
        // Jackson's first ObjectMapper takes ~0.1 s to set up; let that happen while Git and the engines are asked.
        Thread.ofPlatform().daemon().name("warm-up").start(OciJson::mapper);
        Map<String, String> args = new LinkedHashMap<>();
        for (String a : buildArgs) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new InvalidInputException("--build-arg '" + a + "': expected NAME=VALUE");
            args.put(a.substring(0, eq), a.substring(eq + 1));
        }
        Path cwd = Path.of(ctx.env.getOrDefault("PWD", System.getProperty("user.dir"))).toAbsolutePath();
        Path tmp = Path.of(ctx.env.getOrDefault("TMPDIR", System.getProperty("java.io.tmpdir")));
        if (json != null && !json.equals("-") && Files.isDirectory(Path.of(json))) {
            throw new InvalidInputException("--json " + json + " is a directory; give a file name or '-'");
        }

        GitSource.Checkout checkout;
        if (source != null && GitSource.looksLikeUrl(source)) {
            checkout = GitSource.cloneAt(source, ref, tmp, ctx.env);
        } else {
            Path dir = source != null ? cwd.resolve(source) : cwd;
            if (source != null && !Files.isDirectory(dir)) throw new InvalidInputException("--source " + source + ": no such directory (or give a Git URL)");
            if (ref != null) {
                GitSource.Checkout local = GitSource.open(dir, ctx.env);
                checkout = GitSource.cloneAt(local.root().toUri().toString(), ref, tmp, ctx.env);
            } else {
                checkout = GitSource.open(dir, ctx.env);
            }
        }
        try (checkout) {
            Path cfg = config != null ? cwd.resolve(config) : null;
            if (cfg == null) {
                for (String n : List.of("polyarch.yaml", "polyarch.yml")) {
                    if (Files.isRegularFile(checkout.root().resolve(n))) {
                        cfg = checkout.root().resolve(n);
                        break;
                    }
                }
            }
            PipelineSpec spec = SpecLoader.load(cfg, new SpecLoader.Overrides(to, platforms, args, builder, workDir, dockerfile, target,
                    noArchTags ? Boolean.FALSE : null, tagRules));
            try (Stores stores = registry.stores(ctx, System.in)) {
                Terminal term = new Terminal(ctx, registry.quiet, json != null && json.equals("-"));
                PipelineRunner.Options opts = new PipelineRunner.Options(ctx.env,
                        Path.of(ctx.env.getOrDefault("POLYARCH_BINFMT_DIR", "/proc/sys/fs/binfmt_misc")), tmp, registry.jobs,
                        new ProcessCommandRunner(), Platform.host());
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
    }

    private void printSummary(RunReport r, java.io.PrintWriter w) {
        w.println();
        w.printf("%-14s %-73s %10s %8s %8s  %s%n", "PLATFORM", "DIGEST", "SIZE", "BUILD", "PUSH", "TAGS");
        for (RunReport.ImageReport i : r.images()) {
            w.printf("%-14s %-73s %10s %8s %8s  %s%n", i.platform(), i.digest() == null ? i.state().toUpperCase() : i.digest().toString(),
                    i.digest() == null ? "-" : Sizes.human(i.size()), secs(i.buildMs()), i.digest() == null ? "-" : secs(i.pushMs()),
                    String.join(", ", i.tags()));
        }
        for (RunReport.ImageReport i : r.images()) {
            if (i.error() != null) w.println(i.platform() + " failed: " + Redact.text(i.error()));
        }
        for (String n : r.notes()) w.println("note: " + n);
        if (r.ok()) {
            w.println("index   " + r.repository() + "@" + r.index().digest() + " (" + r.index().mediaType() + ")");
            w.println("tags    " + String.join(", ", r.tags()) + (r.tagsWritten().isEmpty() ? "  (all already in place: nothing changed)"
                    : r.tagsUnchanged().isEmpty() ? "" : "  (unchanged: " + String.join(", ", r.tagsUnchanged()) + ")"));
            if (!r.repository().startsWith("oci:")) {
                w.println("pull    docker pull " + r.repository() + ":" + r.tags().get(0) + "   (any platform: add --platform linux/arm64)");
            }
            w.println("done in " + secs(r.durationsMs().getOrDefault("total", 0L)));
        } else {
            w.println("FAILED: " + Redact.text(r.failure()));
        }
        w.flush();
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
        for (RunReport.ImageReport i : r.images()) {
            ObjectNode n = images.addObject();
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
            if (i.error() != null) n.put("error", Redact.text(i.error()));
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
