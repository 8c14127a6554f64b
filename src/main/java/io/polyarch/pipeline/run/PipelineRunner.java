package io.polyarch.pipeline.run;

import io.polyarch.build.BuildException;
import io.polyarch.build.BuildOutput;
import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.build.CommandRunner;
import io.polyarch.build.Dockerfile;
import io.polyarch.build.Emulation;
import io.polyarch.git.GitSource;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.ops.BlobTransfer;
import io.polyarch.ops.Images;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Progress;
import io.polyarch.ops.Stores;
import io.polyarch.ops.ValidationException;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.plan.Dag;
import io.polyarch.pipeline.plan.DagRunner;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;
import io.polyarch.soci.SociIndexer;
import io.polyarch.tags.Tags;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * {@code polyarch run}: from a checkout to a published multi-platform index. Every platform builds in
 * parallel on its builder, is checked (its config must say the platform it was built for) and pushed by
 * digest with its arch tags; only when every platform succeeded is the index written, children by
 * digest, under every tag. A failed run never moves an index tag.
 */
public final class PipelineRunner {
    /**
     * @param env       the environment builders run with (DOCKER_HOST, PATH, ...)
     * @param binfmtDir where binfmt_misc handlers are registered ({@code /proc/sys/fs/binfmt_misc})
     * @param tempDir   where build scratch directories go
     * @param jobs      blobs transferred at once
     */
    /**
     * @param rebuild   build every job even when an image with its build key is already in the destination
     * @param publish   publish the indexes (false: build, test and push only, as one CodeBuild job per platform does)
     * @param reuseOnly build nothing: every job must find its image by build key (the publish step after them)
     */
    public record Options(Map<String, String> env, Path binfmtDir, Path tempDir, int jobs, CommandRunner commands, Platform host,
                          boolean rebuild, boolean publish, boolean reuseOnly) {
        public Options {
            env = Map.copyOf(env);
            if (rebuild && reuseOnly) throw new IllegalArgumentException("--rebuild and --reuse-only exclude each other");
        }
    }


    private final Stores stores;
    private final Options opts;
    private final RunListener listener;

    public PipelineRunner(Stores stores, Options opts, RunListener listener) {
        this.stores = stores;
        this.opts = opts;
        this.listener = listener;
    }

    /** What one cell (variant x platform) needs, decided before anything starts. */
    /** @param key the build key (hex), or null when one cannot be computed (a base that could not be resolved) */
    private record Job(String cell, Platform platform, Builder builder, BuildRequest request, List<String> archTags, Reference base,
                       PipelineSpec.TestSpec test, String key) {
    }

    /** A variant with its Dockerfile read and its tags resolved. */
    private record VariantPlan(PipelineSpec.Variant variant, Path dockerfilePath, Dockerfile dockerfile, List<String> tags) {
    }

    /** What a DAG node does. */
    private enum Kind { BUILD, TEST, PUSH, SOCI, PUBLISH }

    private record Node(Kind kind, VariantPlan variant, Job job) {
    }

    /** A cell's progress, filled in by its build, test and push nodes. */
    private static final class CellState {
        volatile BuildOutput output;
        volatile RawManifest manifest;
        volatile ImageManifest image;
        volatile long buildMs;
        volatile long pushMs;
        volatile RunReport.ImageReport report;
        volatile Descriptor sociIndex; // v2: listed in the index beside the image
        volatile String reused;        // why the image with this job's build key was taken instead of building, or null
    }

    public RunReport run(PipelineSpec spec, GitSource.Checkout src) throws ConfigException, RunFailedException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> notes = new ArrayList<>();
        StoreRef dest = destination(spec);
        Path context = src.root().resolve(spec.workDir()).normalize();
        if (!Files.isDirectory(context)) {
            throw new ConfigException(spec.origin() + ": workDir '" + spec.workDir() + "' is not a directory in " + src.root());
        }
        List<VariantPlan> plans = plan(spec, src, context, notes);
        if (src.dirty()) notes.add("the working tree has uncommitted changes: they are built, and tagged as commit " + Tags.commitShort(src.commit()));
        notes.forEach(listener::note);

        // Every FROM image's lookup and the destination's check start now, on their own threads, while the engines are
        // asked who they are (each a process start and a round trip); the pins below wait for them.
        Builders builders = new Builders(spec.builder(), opts.commands(), opts.env(), opts.host());
        background("engine-probe", () -> {
            for (Platform p : spec.platforms()) {
                try {
                    builders.forPlatform(p);
                } catch (RunFailedException | InterruptedException | RuntimeException e) {
                    return null; // asked again below, where it fails the run
                }
            }
            return null;
        });
        BaseLookups lookups = new BaseLookups();
        for (VariantPlan vp : plans) {
            for (Platform p : spec.platforms()) {
                for (FromImage f : fromImages(vp.dockerfile(), p, opts.host(), jobArgs(spec, vp.variant(), p))) {
                    if (f.ref() != null && f.ref().digest() == null) lookups.start(f.ref());
                }
            }
        }
        java.util.concurrent.CompletableFuture<Void> destinationCheck = background("preflight", () -> {
            preflight(dest);
            return null;
        });
        Path runDir;
        try {
            Files.createDirectories(opts.tempDir());
            runDir = Files.createTempDirectory(opts.tempDir(), "polyarch-run-");
        } catch (IOException e) {
            throw new RunFailedException("cannot create a scratch directory in " + opts.tempDir() + ": " + e.getMessage());
        }
        List<java.util.concurrent.CompletableFuture<Void>> cleanups = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            // builders stream a layer to the destination while they export it; the destination is opened below
            java.util.concurrent.atomic.AtomicReference<ContentStore> openTarget = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.function.Supplier<Optional<io.polyarch.store.BlobUpload>> uploads = () -> {
                ContentStore t = openTarget.get();
                return t == null ? Optional.empty() : t.startUpload();
            };
            Map<Path, Digest> contextDigests = new HashMap<>();
            Dag.Builder<Node> dag = Dag.builder();
            Map<String, CellState> cells = new LinkedHashMap<>();
            Map<String, Job> jobsByCell = new LinkedHashMap<>();
            int vi = 0;
            for (VariantPlan vp : plans) {
                vi++;
                PipelineSpec.Variant v = vp.variant();
                Dockerfile df = vp.dockerfile();
                List<String> pushes = new ArrayList<>();
                for (Platform p : spec.platforms()) {
                    String cell = cellName(v, p);
                    Builder b = builders.forPlatform(p);
                    if (!Emulation.isNative(b.nativePlatform(), p) && df.runsOnTarget()) {
                        if (b.usesLocalEmulation()) {
                            if (Emulation.handler(opts.binfmtDir(), p).isEmpty()) {
                                throw new RunFailedException(p + ": " + Emulation.howToEnable(b.nativePlatform(), p));
                            }
                        } else if (vi == 1) {
                            listener.note(p + ": the engine at " + spec.builder().endpointFor(p) + " is " + b.nativePlatform()
                                    + ", not native; its RUN steps depend on emulation there");
                        }
                    }
                    String arch = spec.archName(p);
                    Map<String, String> args = jobArgs(spec, v, p);
                    Path scratch = Files.createDirectories(runDir.resolve(vi + "-" + p.key().replace('/', '-')));
                    Pinned pinned = pin(df, p, b, args, lookups);
                    Path dockerfile = vp.dockerfilePath();
                    if (!pinned.lines().isEmpty()) {
                        dockerfile = scratch.resolve("Dockerfile");
                        Files.writeString(dockerfile, df.rewrite(pinned.lines()));
                        Path ignore = Path.of(vp.dockerfilePath() + ".dockerignore");
                        if (Files.isRegularFile(ignore)) Files.copy(ignore, scratch.resolve("Dockerfile.dockerignore"));
                    }
                    boolean serialize = b.needsPinnedBases() && !pinned.complete();
                    if (serialize) {
                        listener.note(cell + ": some FROM images could not be pinned to a digest (" + String.join("; ", pinned.problems())
                                + "); builds on " + b.describe() + " take turns so that no platform gets another's base image");
                    }
                    String slug = (v.name().isEmpty() ? "" : v.name() + "-") + arch;
                    String name = "polyarch-build/" + repoName(dest) + ":" + slug.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
                    String key = pinned.complete() ? BuildKeys.key(context, vp.dockerfilePath(), p, args, v.target(), pinned.lines(), contextDigests) : null;
                    if (key == null) {
                        listener.note(cell + ": no build key (" + String.join("; ", pinned.problems()) + "), so it is built every time");
                    }
                    BuildRequest req = new BuildRequest(context, dockerfile, p, args, v.target(), scratch, name, pinned.insecure(), serialize,
                            dest instanceof StoreRef.Layout, key == null ? Map.of() : Map.of(BuildKeys.LABEL, key),
                            dest instanceof StoreRef.Registry r ? r.reference().repositoryOnly().withTag(BuildKeys.cacheTag(v, arch)).toString() : null,
                            uploads, null);
                    List<String> archTags = spec.archTags() ? Tags.archTags(vp.tags(), arch) : List.of();
                    Job job = new Job(cell, p, b, req, archTags, pinned.finalBase(df, v.target()), spec.test(), key);
                    jobsByCell.put(cell, job);
                    cells.put(cell, new CellState());
                    dag.add("build " + cell, new Node(Kind.BUILD, vp, job), List.of(), false);
                    String before = "build " + cell;
                    if (spec.test() != null) {
                        dag.add("test " + cell, new Node(Kind.TEST, vp, job), List.of(before), spec.test().ignoreFailure());
                        before = "test " + cell;
                    }
                    dag.add("push " + cell, new Node(Kind.PUSH, vp, job), List.of(before), false);
                    if (spec.soci() != null && opts.publish()) {
                        dag.add("soci " + cell, new Node(Kind.SOCI, vp, job), List.of("push " + cell), false);
                        pushes.add("soci " + cell);
                    } else {
                        pushes.add("push " + cell);
                    }
                    listener.state(cell, "queued");
                }
                if (opts.publish()) dag.add(publishId(v, dest), new Node(Kind.PUBLISH, vp, null), pushes, false);
            }
            try {
                await(destinationCheck);
            } catch (StoreException e) {
                throw new RunFailedException("cannot use the destination " + dest + " (nothing was built): " + e.getMessage());
            }
            long prepareMs = ms(t0);

            Dag<Node> graph = dag.build();
            Map<String, IndexCreator.Result> published = new java.util.concurrent.ConcurrentHashMap<>();
            Map<String, String> publishErrors = new java.util.concurrent.ConcurrentHashMap<>();
            int parallel = spec.parallelism() > 0 ? spec.parallelism() : jobsByCell.size();
            DagRunner.Result result;
            try (ContentStore target = stores.open(dest, true)) {
                openTarget.set(target);
                result = new DagRunner(new DagRunner.Options(Math.max(1, parallel), spec.fastFail())).run(graph, node -> {
                    Node n = node.payload();
                    switch (n.kind()) {
                        case BUILD -> build(n.job(), cells.get(n.job().cell()), target);
                        case TEST -> test(n.job(), cells.get(n.job().cell()));
                        case PUSH -> {
                            push(n.job(), cells.get(n.job().cell()), target);
                            // the pushed image's scratch (its exported layout) goes while the rest of the run goes on
                            Path scratch = n.job().request().scratch();
                            cleanups.add(background("cleanup", () -> {
                                deleteTree(scratch);
                                return null;
                            }));
                        }
                        case SOCI -> soci(n.job(), cells.get(n.job().cell()), target, spec.soci());
                        case PUBLISH -> {
                            try {
                                published.put(n.variant().variant().name(), publish(n.variant(), dest, cells, jobsByCell, spec));
                            } catch (StoreException | InvalidInputException | ValidationException e) {
                                publishErrors.put(n.variant().variant().name(), "publishing the index failed: " + e.getMessage());
                                throw e;
                            }
                        }
                    }
                }, (id, state, detail) -> {
                    Node n = graph.job(id).payload();
                    if (n.kind() != Kind.PUBLISH) {
                        String label = switch (state) {
                            case RUNNING -> switch (n.kind()) {
                                case BUILD -> "building";
                                case TEST -> "testing";
                                case SOCI -> "indexing (SOCI)";
                                default -> "pushing";
                            };
                            case SUCCEEDED -> n.kind() == Kind.PUSH ? "pushed" : n.kind() == Kind.SOCI ? "indexed" : null;
                            case FAILED, FAILED_IGNORED -> "failed";
                            case CANCELLED -> "cancelled";
                            case SKIPPED -> "skipped";
                            default -> null;
                        };
                        if (label != null) listener.state(n.job().cell(), label);
                    }
                });
            } catch (StoreException e) {
                throw new RunFailedException("cannot open the destination " + dest + ": " + e.getMessage());
            }
            return report(spec, src, dest, plans, graph, result, cells, jobsByCell, published, publishErrors, notes, prepareMs, t0);
        } catch (IOException e) {
            throw new RunFailedException("cannot prepare the build in " + runDir + ": " + e.getMessage());
        } finally {
            builders.close();
            cleanups.forEach(java.util.concurrent.CompletableFuture::join);
            deleteTree(runDir);
        }
    }

    /** One node of {@link #describe}: what {@code polyarch plan} prints. */
    public record PlannedJob(String id, String kind, String variant, String platform, List<String> needs, List<String> tags) {
    }

    /**
     * The plan as a DAG, without running anything or asking any engine: build[variant x platform] ->
     * test[variant x platform] -> push[variant x platform] -> publish[variant], with the tags each publish writes.
     */
    public static List<PlannedJob> describe(PipelineSpec spec, GitSource.Checkout src, List<String> notes) throws ConfigException {
        StoreRef dest = destination(spec);
        Path context = src.root().resolve(spec.workDir()).normalize();
        if (!Files.isDirectory(context)) {
            throw new ConfigException(spec.origin() + ": workDir '" + spec.workDir() + "' is not a directory in " + src.root());
        }
        Dag.Builder<PlannedJob> dag = Dag.builder();
        for (VariantPlan vp : plan(spec, src, context, notes)) {
            String v = vp.variant().name();
            List<String> pushes = new ArrayList<>();
            for (Platform p : spec.platforms()) {
                String cell = cellName(vp.variant(), p);
                List<String> arch = spec.archTags() ? Tags.archTags(vp.tags(), spec.archName(p)) : List.of();
                dag.add("build " + cell, new PlannedJob("build " + cell, "build", v, p.toString(), List.of(), List.of()), List.of(), false);
                String before = "build " + cell;
                if (spec.test() != null) {
                    dag.add("test " + cell, new PlannedJob("test " + cell, "test", v, p.toString(), List.of(before), List.of()), List.of(before), false);
                    before = "test " + cell;
                }
                dag.add("push " + cell, new PlannedJob("push " + cell, "push", v, p.toString(), List.of(before), arch), List.of(before), false);
                if (spec.soci() != null) {
                    List<String> after = List.of("push " + cell);
                    dag.add("soci " + cell, new PlannedJob("soci " + cell, "soci", v, p.toString(), after, List.of()), after, false);
                    pushes.add("soci " + cell);
                } else {
                    pushes.add("push " + cell);
                }
            }
            String id = publishId(vp.variant(), dest);
            dag.add(id, new PlannedJob(id, "publish", v, null, pushes, vp.tags()), pushes, false);
        }
        Dag<PlannedJob> d = dag.build();
        return d.order().stream().map(id -> d.job(id).payload()).toList();
    }

    static String cellName(PipelineSpec.Variant v, Platform p) {
        return v.name().isEmpty() ? p.toString() : v.name() + " " + p;
    }

    static String publishId(PipelineSpec.Variant v, StoreRef dest) {
        return "publish " + (v.name().isEmpty() ? dest.toString() : v.name());
    }

    /** Reads each variant's Dockerfile and resolves its tags; two variants on one tag is a config error. */
    private static List<VariantPlan> plan(PipelineSpec spec, GitSource.Checkout src, Path context, List<String> notes) throws ConfigException {
        List<VariantPlan> plans = new ArrayList<>();
        Map<String, String> owner = new LinkedHashMap<>();
        for (PipelineSpec.Variant v : spec.variants()) {
            String who = v.name().isEmpty() ? "" : "variant " + v.name() + ": ";
            Path dockerfilePath = context.resolve(v.dockerfile()).normalize();
            if (!Files.isRegularFile(dockerfilePath)) {
                throw new ConfigException(spec.origin() + ": " + who + "dockerfile '" + v.dockerfile() + "' not found in " + context
                        + "; set dockerfile (relative to workDir) or workDir");
            }
            Dockerfile df;
            try {
                df = Dockerfile.parse(Files.readString(dockerfilePath));
            } catch (IOException e) {
                throw new ConfigException(dockerfilePath + ": cannot read: " + e.getMessage());
            }
            if (df.froms().isEmpty()) throw new ConfigException(dockerfilePath + ": no FROM instruction");
            if (v.target() != null && df.froms().stream().noneMatch(f -> v.target().equalsIgnoreCase(f.stageName()))) {
                throw new ConfigException(spec.origin() + ": " + who + "target '" + v.target() + "' is not a stage of " + dockerfilePath.getFileName()
                        + "; its stages: " + String.join(", ", df.froms().stream().map(Dockerfile.From::stageName).filter(java.util.Objects::nonNull).toList()));
            }
            Tags.Resolution tr;
            try {
                tr = Tags.resolve(v.tagRules(), new Tags.Context(src.commit(), src.branch(), src.tags(), v.vars()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(spec.origin() + ": " + who + e.getMessage());
            }
            tr.notes().forEach(n -> notes.add(who + n));
            if (tr.tags().isEmpty()) {
                throw new ConfigException(spec.origin() + ": " + who + "the tag rules give no tag for commit " + src.commit() + ": " + String.join("; ", tr.notes()));
            }
            for (String t : tr.tags()) {
                String other = owner.putIfAbsent(t, v.name());
                if (other != null) {
                    throw new ConfigException(spec.origin() + ": variants " + other + " and " + v.name() + " would both publish tag '" + t + "'"
                            + (t.equals("latest") ? "; give latest to one variant (its own tagRules)" : "; use the variables in the tag rules, e.g. {"
                            + String.join("}-{", v.vars().keySet()) + "}-{commit-short}"));
                }
            }
            plans.add(new VariantPlan(v, dockerfilePath, df, tr.tags()));
        }
        return plans;
    }

    /**
     * An image in the destination made from exactly this job's inputs, if there is one: found under the key's tag,
     * and taken only when its config carries the same key and the right platform.
     */
    private boolean reuse(Job j, CellState c, ContentStore target) throws StoreException {
        if (j.key() == null || opts.rebuild()) return false;
        Optional<BuildKeys.Found> found = BuildKeys.find(target, j.key(), j.platform(), why -> listener.log(j.cell(), why + "; building"));
        if (found.isEmpty()) return false;
        c.manifest = found.get().manifest();
        c.image = found.get().image();
        c.reused = "build key " + j.key().substring(0, 12) + " matches " + c.manifest.digest().shortHex()
                + ": same platform, Dockerfile, build args, base image digests and context";
        listener.log(j.cell(), "reused " + c.manifest.digest() + " (" + c.reused + ")");
        return true;
    }

    private void build(Job j, CellState c, ContentStore target) throws Exception {
        long t0 = System.nanoTime();
        if (reuse(j, c, target)) {
            c.buildMs = ms(t0);
            return;
        }
        if (opts.reuseOnly()) {
            throw new BuildException(j.key() == null ? "--reuse-only, but this job has no build key (a base image could not be resolved)"
                    : "--reuse-only: no image with build key " + j.key().substring(0, 12) + " (tag " + BuildKeys.tag(j.key())
                    + ") in the destination: this platform's build job has not pushed it, or its inputs differ from this checkout's");
        }
        // the base's layer list is fetched while the engine builds; it is only compared afterwards
        java.util.concurrent.CompletableFuture<BaseImage> base = background("base-check", () -> baseImage(j));
        try {
            BuildOutput out = j.builder().build(j.request().withBaseLayers(() -> knownLayers(base)), line -> listener.log(j.cell(), line));
            c.output = out;
            c.buildMs = ms(t0);
            try (OciLayoutStore layout = OciLayoutStore.open(out.layout(), false)) {
                RawManifest m = Images.require(layout, out.manifest().toString(), "built image for " + j.platform());
                Manifest parsed = Images.parse(m, "built image for " + j.platform());
                if (!(parsed instanceof ImageManifest im)) throw new BuildException("the builder produced an index for " + j.platform() + ", expected one image");
                ImageConfig cfg = Images.config(layout, im);
                if (cfg.platform() == null || !cfg.platform().matches(j.platform())) {
                    throw new BuildException("the build for " + j.platform() + " produced an image whose config says " + cfg.platform()
                            + " (a base image of the wrong architecture?); not pushed");
                }
                checkBase(j, cfg, base);
                c.manifest = m;
                c.image = im;
            }
        } catch (RuntimeException e) {
            throw new BuildException("internal error: " + e, e);
        } finally {
            if (c.buildMs == 0) c.buildMs = ms(t0);
        }
    }

    private void test(Job j, CellState c) throws Exception {
        if (c.reused != null) {
            listener.log(j.cell(), "test: not run again: the reused image passed its tests when it was built");
            return;
        }
        for (String cmd : j.test().commands()) {
            j.builder().test(c.output, j.platform(), cmd, j.test().timeout(), line -> listener.log(j.cell(), "test: " + line));
        }
    }

    private void push(Job j, CellState c, ContentStore target) throws Exception {
        long tp = System.nanoTime();
        try (OciLayoutStore layout = c.reused != null ? null : OciLayoutStore.open(c.output.layout(), false)) {
            if (layout != null) {
                // blobs the export took from the base image are not in the layout: they come from the base's repository
                List<Descriptor> local = new ArrayList<>();
                List<Descriptor> fromBase = new ArrayList<>();
                for (Descriptor d : c.image.blobs()) (layout.statBlob(d.digest()).isPresent() ? local : fromBase).add(d);
                if (!fromBase.isEmpty()) {
                    if (j.base() == null) throw new BuildException("the exported image lacks blob " + fromBase.get(0).digest() + " and has no base to take it from");
                    try (ContentStore baseStore = stores.open(new StoreRef.Registry(j.base()), false)) {
                        new BlobTransfer(opts.jobs(), Progress.NONE).transfer(baseStore, target, fromBase);
                    }
                }
                new BlobTransfer(opts.jobs(), Progress.NONE).transfer(layout, target, local);
                target.putManifest(c.manifest, null);
            }
            // every tag at once: each is a round trip or two (HEAD, then PUT where it points elsewhere). Platform threads:
            // a virtual thread's socket I/O starts the JVM's poller, whose thread sits in native code and holds up the
            // JVM's exit by 0.3 s (HotSpot waits that long for threads in native to settle)
            List<String> written = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("tag-", 0).factory())) {
                // in an OCI layout, extra ref names confuse tools that pick images by name (oci-image-tool); no reuse there
                if (layout != null && !j.request().oci()) {
                    if (j.key() != null) pool.submit(() -> putTag(j, c, target, BuildKeys.tag(j.key())));
                    String cache = j.request().cacheFrom();
                    if (cache != null) pool.submit(() -> putTag(j, c, target, cache.substring(cache.lastIndexOf(':') + 1)));
                }
                List<java.util.concurrent.Future<Boolean>> archTags = new ArrayList<>();
                for (String t : j.archTags()) archTags.add(pool.submit(() -> target.tag(c.manifest, t)));
                for (int i = 0; i < archTags.size(); i++) {
                    try {
                        archTags.get(i).get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof Exception ex) throw ex;
                        throw e;
                    }
                    written.add(j.archTags().get(i));
                }
            }
            c.pushMs = ms(tp);
            long size = c.manifest.size() + c.image.blobs().stream().mapToLong(Descriptor::size).sum();
            c.report = new RunReport.ImageReport(j.platform(), c.reused != null ? "reused" : "pushed", c.manifest.digest(), size, written, c.buildMs,
                    c.output == null ? 0 : c.output.engineMs(), c.pushMs, j.builder().describe(), null, null, 0, c.reused);
        }
    }

    /** The key's tag names the image just pushed; a registry with immutable tags keeps the first image of a key. */
    private void putTag(Job j, CellState c, ContentStore target, String tag) {
        try {
            target.tag(c.manifest, tag);
        } catch (StoreException e) {
            listener.log(j.cell(), "could not write " + tag + " (" + e.getMessage() + "); the next run cannot reuse this build");
        }
    }

    /**
     * The platform's SOCI index, from the image just pushed. v2: the image manifest annotated with it (same layers
     * and config) becomes what the index and the arch tags name; v1: pushed with the image as its subject.
     */
    private void soci(Job j, CellState c, ContentStore target, PipelineSpec.SociSpec s) throws Exception {
        long t = System.nanoTime();
        SociIndexer.Options o = new SociIndexer.Options(SociIndexer.Format.parse(s.format()), s.spanSize(), s.minLayerSize(),
                "polyarch " + io.polyarch.registry.RegistryOptions.version(), opts.jobs());
        SociIndexer.Result r;
        try {
            r = new SociIndexer(o, line -> listener.log(j.cell(), "soci: " + line.replaceFirst("^\\S+: ", "")))
                    .index(target, c.manifest, List.of(new SociIndexer.Target(j.platform(), c.manifest.descriptor().withPlatform(j.platform()))));
        } catch (SociIndexer.SociException e) {
            throw new RunFailedException("SOCI: " + e.getMessage());
        }
        SociIndexer.ImageOutcome out = r.images().get(0);
        if (out.sociIndex() != null && !out.image().digest().equals(c.manifest.digest())) {
            RawManifest annotated = target.getManifest(out.image().digest().toString())
                    .orElseThrow(() -> new StoreException("SOCI", "the annotated manifest vanished from " + target.describe()));
            for (String tag : j.archTags()) target.tag(annotated, tag);
            c.sociIndex = out.sociIndex();
        }
        c.report = c.report.withSoci(out.image().digest(), out.sociIndex() == null ? null : out.sociIndex().digest(), ms(t));
    }

    private IndexCreator.Result publish(VariantPlan vp, StoreRef dest, Map<String, CellState> cells, Map<String, Job> jobs, PipelineSpec spec)
            throws StoreException, InvalidInputException, ValidationException {
        List<IndexCreator.Source> sources = new ArrayList<>();
        List<Descriptor> artifacts = new ArrayList<>();
        for (Platform p : spec.platforms()) {
            String cell = cellName(vp.variant(), p);
            RunReport.ImageReport r = cells.get(cell).report;
            sources.add(new IndexCreator.Source(byDigest(dest, r.digest()), p, cell + " build"));
            if (cells.get(cell).sociIndex != null) artifacts.add(cells.get(cell).sociIndex);
        }
        List<String> tags = vp.tags();
        return new IndexCreator(stores, opts.jobs(), Progress.NONE).create(new IndexCreator.Spec(dest.withTag(tags.get(0)),
                tags.subList(1, tags.size()), IndexCreator.Kind.AUTO, Map.of(), sources, false, artifacts));
    }

    private RunReport report(PipelineSpec spec, GitSource.Checkout src, StoreRef dest, List<VariantPlan> plans, Dag<Node> graph,
                             DagRunner.Result result, Map<String, CellState> cells, Map<String, Job> jobs,
                             Map<String, IndexCreator.Result> published, Map<String, String> publishErrors, List<String> notes,
                             long prepareMs, long t0) {
        Map<String, Long> durations = new LinkedHashMap<>();
        durations.put("prepare", prepareMs);
        List<RunReport.VariantReport> variants = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> leftInPlace = new ArrayList<>();
        for (VariantPlan vp : plans) {
            String vname = vp.variant().name();
            List<RunReport.ImageReport> images = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (Platform p : spec.platforms()) {
                String cell = cellName(vp.variant(), p);
                CellState c = cells.get(cell);
                Job j = jobs.get(cell);
                RunReport.ImageReport r = c.report;
                DagRunner.Outcome sociOutcome = result.outcomes().get("soci " + cell);
                if (r != null && sociOutcome != null && sociOutcome.state() == DagRunner.State.FAILED) {
                    problems.add(p + ": " + sociOutcome.detail());
                    leftInPlace.add((vname.isEmpty() ? "" : vname + " ") + p + (r.tags().isEmpty() ? " (by digest only)" : " as " + String.join(", ", r.tags())));
                    r = new RunReport.ImageReport(p, "failed", r.digest(), r.size(), r.tags(), r.buildMs(), r.engineMs(), r.pushMs(), r.builder(),
                            sociOutcome.detail(), null, 0, r.reused());
                } else if (r == null) {
                    String state = "failed";
                    String error = null;
                    for (String prefix : List.of("build ", "test ", "push ", "soci ")) {
                        DagRunner.Outcome o = result.outcomes().get(prefix + cell);
                        if (o == null) continue;
                        if (o.state() == DagRunner.State.FAILED) {
                            error = o.detail();
                            break;
                        }
                        if (o.state() == DagRunner.State.CANCELLED) {
                            state = "cancelled";
                            error = "cancelled: another job failed and fastFail is on";
                            break;
                        }
                    }
                    if (error == null) error = "not run";
                    r = new RunReport.ImageReport(p, state, null, 0, List.of(), c.buildMs, c.output == null ? 0 : c.output.engineMs(), 0,
                            j.builder().describe(), error, null, 0, null);
                    if (state.equals("failed")) problems.add(p + ": " + error);
                } else if (!published.containsKey(vname)) {
                    leftInPlace.add((vname.isEmpty() ? "" : vname + " ") + p + (r.tags().isEmpty() ? " (by digest only)" : " as " + String.join(", ", r.tags())));
                }
                images.add(r);
                durations.put("build:" + cell, r.buildMs());
                durations.put("engine:" + cell, r.engineMs());
                durations.put("push:" + cell, r.pushMs());
            }
            IndexCreator.Result ir = published.get(vname);
            String failure = null;
            if (ir == null && !opts.publish() && problems.isEmpty()) {
                // a build-only run: its images are pushed, the publish step publishes them
            } else if (ir == null) {
                if (publishErrors.containsKey(vname)) problems.add(publishErrors.get(vname));
                if (problems.isEmpty()) problems.add("cancelled: another job failed and fastFail is on");
                failure = String.join("; ", problems);
                if (vp.variant().ignoreFailure()) notes.add("variant " + vname + " failed, and has ignoreFailure: " + failure);
                else failures.add(vname.isEmpty() ? failure : vname + ": " + failure);
            }
            variants.add(new RunReport.VariantReport(vname, vp.variant().vars(), vp.tags(), ir == null ? List.of() : ir.tagsWritten(),
                    ir == null ? List.of() : ir.tagsUnchanged(), ir == null ? null : ir.index(), images, failure));
        }
        if (!opts.publish()) {
            leftInPlace.clear();
            notes.add("build only (--no-publish): images pushed by digest and build key; `polyarch run --reuse-only` publishes them");
        }
        if (!leftInPlace.isEmpty()) notes.add("pushed, with no index published over them: " + String.join("; ", leftInPlace));
        if (!failures.isEmpty()) {
            notes.add(published.isEmpty() ? "no index tag was written or moved"
                    : "no index tag was written or moved for " + String.join(", ", variants.stream().filter(v -> v.failure() != null).map(RunReport.VariantReport::name).toList()));
        }
        // every DAG job's own time, so that the critical path can be compared with the whole run (bench/matrix.sh)
        result.outcomes().forEach((id, o) -> durations.put("job:" + id, o.duration().toMillis()));
        List<RunReport.JobReport> jobReports = new ArrayList<>();
        result.outcomes().forEach((id, o) -> {
            jobReports.add(new RunReport.JobReport(id, o.state().name().toLowerCase(Locale.ROOT), o.duration().toMillis(), o.detail()));
            if (o.state() == DagRunner.State.FAILED_IGNORED) notes.add(id + " failed, and has ignoreFailure: " + o.detail());
        });
        durations.put("total", ms(t0));
        return new RunReport(repositoryText(dest), src.commit(), src.branch(), variants, jobReports, durations, notes,
                failures.isEmpty() ? null : String.join("; ", failures));
    }

    /**
     * The config's platform is what the engine was asked for, not proof of what is inside: an engine that takes a
     * base image of another architecture still labels the result with the requested one. The built image must
     * start with the layers of the base pinned for its platform.
     */
    private void checkBase(Job j, ImageConfig built, java.util.concurrent.CompletableFuture<BaseImage> base)
            throws StoreException, BuildException, InterruptedException {
        List<Digest> expected;
        try {
            BaseImage b = base.get();
            if (b == null) return;
            expected = b.diffIds();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            throw new BuildException("cannot read the base image " + j.base() + ": " + e.getCause(), e.getCause());
        }
        List<Digest> got = built.diffIds();
        if (got.size() < expected.size() || !got.subList(0, expected.size()).equals(expected)) {
            throw new BuildException("the " + j.platform() + " image is not built on the " + j.platform() + " base " + j.base()
                    + " (its layers do not start with that image's): the engine used another base image; not pushed");
        }
    }

    /**
     * Reaches the destination with push access before any build starts, so that a wrong address or missing
     * credentials cost seconds, not a build's minutes.
     */
    private void preflight(StoreRef dest) throws StoreException {
        try (ContentStore target = stores.open(dest, true)) {
            target.statBlob(Digest.sha256(new byte[0]));
        }
    }

    /** The job's pinned base image: its layers' diff_ids and blobs. */
    private record BaseImage(List<Digest> diffIds, List<Descriptor> layers) {
    }

    /** The job's pinned base, or null when it has none (scratch, or not pinned). */
    private BaseImage baseImage(Job j) throws StoreException {
        if (j.base() == null) return null;
        try (ContentStore s = stores.open(new StoreRef.Registry(j.base()), false)) {
            RawManifest m = Images.require(s, j.base().identifier(), "base image " + j.base());
            if (!(Images.parse(m, "base image " + j.base()) instanceof ImageManifest bm)) return null;
            return new BaseImage(Images.config(s, bm).diffIds(), bm.layers());
        }
    }

    /**
     * The base's layers by diff_id, for the export to name instead of compressing them again; none when the base
     * could not be read (the base check then says why) or its config and manifest disagree.
     */
    private static Map<Digest, Descriptor> knownLayers(java.util.concurrent.CompletableFuture<BaseImage> base) {
        try {
            BaseImage b = base.get();
            if (b == null || b.diffIds().size() != b.layers().size()) return Map.of();
            Map<Digest, Descriptor> m = new HashMap<>();
            for (int i = 0; i < b.layers().size(); i++) m.putIfAbsent(b.diffIds().get(i), b.layers().get(i));
            return m;
        } catch (ExecutionException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** FROM images pinned to the digest of this platform's image, so that no two builds share a mutable tag. */
    private record Pinned(Map<Integer, String> lines, boolean complete, boolean insecure, List<String> problems) {
        /** The pinned image under the stage that is built (following FROM other-stage links), or null. */
        Reference finalBase(Dockerfile df, String target) {
            List<Dockerfile.From> froms = df.froms();
            Dockerfile.From f = target == null ? froms.get(froms.size() - 1)
                    : froms.stream().filter(x -> target.equalsIgnoreCase(x.stageName())).findFirst().orElse(null);
            for (int hops = 0; f != null && hops <= froms.size(); hops++) {
                String pinnedRef = lines.get(f.line());
                if (pinnedRef != null) return Reference.parse(pinnedRef);
                String img = f.image().toLowerCase(Locale.ROOT);
                int idx = froms.indexOf(f);
                f = froms.subList(0, idx).stream().filter(x -> img.equals(x.stageName())).reduce((a, b) -> b).orElse(null);
            }
            return null;
        }
    }

    /** The build args of one cell: the config's, the variant's variables, and the arch arg. */
    private static Map<String, String> jobArgs(PipelineSpec spec, PipelineSpec.Variant v, Platform p) {
        Map<String, String> args = new LinkedHashMap<>(spec.buildArgs());
        args.putAll(v.vars());
        if (!spec.archBuildArg().isEmpty()) args.put(spec.archBuildArg(), spec.archName(p));
        return args;
    }

    /**
     * A FROM line that names an image (not a stage, not scratch): the image with ARGs expanded and the platform it is
     * pulled for; or, when it cannot be told, why not ({@code ref} null).
     */
    private record FromImage(Dockerfile.From from, String image, Reference ref, Platform platform, String problem) {
    }

    /** The images the FROM lines of {@code df} pull when it is built for {@code p} on an engine of platform {@code bp}. */
    private static List<FromImage> fromImages(Dockerfile df, Platform p, Platform bp, Map<String, String> buildArgs) {
        Map<String, String> args = new HashMap<>(buildArgs);
        putPlatformArgs(args, "TARGET", p);
        putPlatformArgs(args, "BUILD", bp);
        List<FromImage> out = new ArrayList<>();
        Set<String> stages = new HashSet<>();
        for (Dockerfile.From f : df.froms()) {
            try {
                if (f.isStageOrScratch(stages)) continue;
                String img = df.expand(f.image(), args);
                if (img == null) {
                    out.add(new FromImage(f, f.image(), null, null, "FROM " + f.image() + " uses an ARG with no value"));
                    continue;
                }
                if (stages.contains(img.toLowerCase(Locale.ROOT)) || img.equalsIgnoreCase("scratch")) continue;
                Platform fp = p;
                if (f.platformFlag() != null) {
                    String flag = df.expand(f.platformFlag(), args);
                    if (flag == null) {
                        out.add(new FromImage(f, img, null, null, "FROM --platform=" + f.platformFlag() + " uses an ARG with no value"));
                        continue;
                    }
                    fp = Platform.parse(flag);
                }
                out.add(new FromImage(f, img, Reference.parse(img), fp, null));
            } catch (IllegalArgumentException e) {
                out.add(new FromImage(f, f.image(), null, null, f.image() + ": " + e.getMessage()));
            } finally {
                if (f.stageName() != null) stages.add(f.stageName());
            }
        }
        return out;
    }

    private Pinned pin(Dockerfile df, Platform p, Builder b, Map<String, String> buildArgs, BaseLookups lookups)
            throws InterruptedException {
        Map<Integer, String> lines = new HashMap<>();
        List<String> problems = new ArrayList<>();
        boolean insecure = false;
        for (FromImage f : fromImages(df, p, b.nativePlatform(), buildArgs)) {
            if (f.ref() == null) {
                problems.add(f.problem());
                continue;
            }
            Reference ref = f.ref();
            insecure |= stores.registries().options().insecure(ref.registry());
            if (ref.digest() != null) continue;
            try {
                Optional<RawManifest> m = lookups.get(ref);
                if (m.isEmpty()) {
                    problems.add(f.image() + " not found");
                    continue;
                }
                Digest d = m.get().digest();
                Manifest parsed = m.get().parse();
                if (parsed instanceof ImageIndex idx) {
                    Optional<Descriptor> child = idx.manifests().stream()
                            .filter(x -> x.platform() != null && !x.isAttestation() && x.platform().matches(f.platform())).findFirst();
                    if (child.isEmpty()) {
                        problems.add(f.image() + " has no " + f.platform() + " image");
                        continue;
                    }
                    d = child.get().digest();
                }
                lines.put(f.from().line(), ref.repositoryOnly().withDigest(d).toString());
            } catch (IllegalArgumentException | StoreException e) {
                problems.add(f.from().image() + ": " + e.getMessage());
            }
        }
        return new Pinned(lines, problems.isEmpty(), insecure, problems);
    }

    /** The manifests of FROM images, each looked up once per run, on its own thread from the moment it is known. */
    private final class BaseLookups {
        private final Map<String, java.util.concurrent.CompletableFuture<Optional<RawManifest>>> byRef = new java.util.concurrent.ConcurrentHashMap<>();

        void start(Reference ref) {
            byRef.computeIfAbsent(ref.toString(), k -> background("base-lookup", () -> {
                try (ContentStore s = stores.open(new StoreRef.Registry(ref), false)) {
                    return s.getManifest(ref.identifier());
                } catch (io.polyarch.store.NotFoundException e) {
                    return Optional.<RawManifest>empty();
                }
            }));
        }

        Optional<RawManifest> get(Reference ref) throws StoreException, InterruptedException {
            start(ref);
            return await(byRef.get(ref.toString()));
        }
    }

    /** Work for {@link #background}: a registry round trip or the like. */
    private interface Work<T> {
        T run() throws StoreException;
    }

    /**
     * {@code work} on a platform daemon thread. Not a virtual one: with those the process took 0.3 s longer to end
     * after System.exit (their socket I/O starts the JVM's poller thread, which waits in native code, and HotSpot's
     * exit waits up to 0.3 s for threads in native to settle).
     */
    private static <T> java.util.concurrent.CompletableFuture<T> background(String name, Work<T> work) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (StoreException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, r -> Thread.ofPlatform().daemon().name(name).start(r));
    }

    /** The result of {@link #background} work, with the exception it threw. */
    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws StoreException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void putPlatformArgs(Map<String, String> args, String prefix, Platform p) {
        args.put(prefix + "PLATFORM", p.toString());
        args.put(prefix + "OS", p.os());
        args.put(prefix + "ARCH", p.architecture());
        args.put(prefix + "VARIANT", p.variant() == null ? "" : p.variant());
    }

    private static StoreRef destination(PipelineSpec spec) throws ConfigException {
        PipelineSpec.Destination d = spec.destination();
        if (d == null) {
            throw new ConfigException(spec.origin() + ": no destination; set destination.registry.repository (HOST[:PORT]/PATH) or pass --to REPOSITORY|oci:DIR");
        }
        if (d instanceof PipelineSpec.Ecr ecr) {
            // polyarch run resolves an ECR destination (account, region, credentials) before it gets here; a library
            // caller does the same with io.polyarch.aws.EcrDestination
            throw new ConfigException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "' has not been resolved to its registry "
                    + "(EcrDestination.resolve); or publish to a registry: destination.registry.repository: HOST/PATH, or --to");
        }
        return ((PipelineSpec.Target) d).ref();
    }

    private static String repoName(StoreRef dest) {
        String n = switch (dest) {
            case StoreRef.Registry r -> r.reference().repository();
            case StoreRef.Layout l -> String.valueOf(l.dir().getFileName());
        };
        n = n.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9/._-]", "-").replaceAll("^[^a-z0-9]+", "");
        return n.isEmpty() ? "image" : n;
    }

    private static String repositoryText(StoreRef dest) {
        return switch (dest) {
            case StoreRef.Registry r -> r.reference().name();
            case StoreRef.Layout l -> "oci:" + l.dir();
        };
    }

    private static StoreRef byDigest(StoreRef dest, Digest d) {
        return switch (dest) {
            case StoreRef.Registry r -> new StoreRef.Registry(r.reference().repositoryOnly().withDigest(d));
            case StoreRef.Layout l -> new StoreRef.Layout(l.dir(), null, d);
        };
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // scratch left in the temp dir
        }
    }
}
