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
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;
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
    public record Options(Map<String, String> env, Path binfmtDir, Path tempDir, int jobs, CommandRunner commands, Platform host) {
        public Options {
            env = Map.copyOf(env);
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

    /** What one platform's build needs, decided before anything starts. */
    /** {@code base}: the pinned image the built stage starts from, whose layers the result must begin with; or null. */
    private record Job(Platform platform, Builder builder, BuildRequest request, List<String> archTags, Reference base,
                       PipelineSpec.TestSpec test) {
    }

    public RunReport run(PipelineSpec spec, GitSource.Checkout src) throws ConfigException, RunFailedException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> notes = new ArrayList<>();
        StoreRef dest = destination(spec);
        Path context = src.root().resolve(spec.workDir()).normalize();
        if (!Files.isDirectory(context)) {
            throw new ConfigException(spec.origin() + ": workDir '" + spec.workDir() + "' is not a directory in " + src.root());
        }
        Path dockerfilePath = context.resolve(spec.dockerfile()).normalize();
        if (!Files.isRegularFile(dockerfilePath)) {
            throw new ConfigException(spec.origin() + ": dockerfile '" + spec.dockerfile() + "' not found in " + context
                    + "; set dockerfile (relative to workDir) or workDir");
        }
        Dockerfile df;
        try {
            df = Dockerfile.parse(Files.readString(dockerfilePath));
        } catch (IOException e) {
            throw new ConfigException(dockerfilePath + ": cannot read: " + e.getMessage());
        }
        if (df.froms().isEmpty()) throw new ConfigException(dockerfilePath + ": no FROM instruction");
        if (spec.target() != null && df.froms().stream().noneMatch(f -> spec.target().equalsIgnoreCase(f.stageName()))) {
            throw new ConfigException(spec.origin() + ": target '" + spec.target() + "' is not a stage of " + dockerfilePath.getFileName()
                    + "; its stages: " + String.join(", ", df.froms().stream().map(Dockerfile.From::stageName).filter(java.util.Objects::nonNull).toList()));
        }

        Tags.Resolution tr;
        try {
            tr = Tags.resolve(spec.tagRules(), new Tags.Context(src.commit(), src.branch(), src.tags(), Map.of()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(spec.origin() + ": " + e.getMessage());
        }
        notes.addAll(tr.notes());
        List<String> tags = tr.tags();
        if (tags.isEmpty()) throw new ConfigException(spec.origin() + ": the tag rules give no tag for commit " + src.commit() + ": " + String.join("; ", tr.notes()));
        if (src.dirty()) notes.add("the working tree has uncommitted changes: they are built, and tagged as commit " + Tags.commitShort(src.commit()));
        notes.forEach(listener::note);

        Builders builders = new Builders(spec.builder(), opts.commands(), opts.env(), opts.host());

        Path runDir;
        try {
            Files.createDirectories(opts.tempDir());
            runDir = Files.createTempDirectory(opts.tempDir(), "polyarch-run-");
        } catch (IOException e) {
            throw new RunFailedException("cannot create a scratch directory in " + opts.tempDir() + ": " + e.getMessage());
        }
        try {
            Map<String, Optional<RawManifest>> baseCache = new HashMap<>();
            List<Job> jobs = new ArrayList<>();
            for (Platform p : spec.platforms()) {
                Builder b = builders.forPlatform(p);
                if (!Emulation.isNative(b.nativePlatform(), p) && df.runsOnTarget()) {
                    if (b.usesLocalEmulation()) {
                        if (Emulation.handler(opts.binfmtDir(), p).isEmpty()) {
                            throw new RunFailedException(p + ": " + Emulation.howToEnable(b.nativePlatform(), p));
                        }
                    } else {
                        listener.note(p + ": the engine at " + spec.builder().endpointFor(p) + " is " + b.nativePlatform()
                                + ", not native; its RUN steps depend on emulation there");
                    }
                }
                String arch = spec.archName(p);
                Map<String, String> args = new LinkedHashMap<>(spec.buildArgs());
                if (!spec.archBuildArg().isEmpty()) args.put(spec.archBuildArg(), arch);
                Path scratch = Files.createDirectories(runDir.resolve(p.key().replace('/', '-')));
                Pinned pinned = pin(df, p, b, args, baseCache);
                Path dockerfile = dockerfilePath;
                if (!pinned.lines().isEmpty()) {
                    dockerfile = scratch.resolve("Dockerfile");
                    Files.writeString(dockerfile, df.rewrite(pinned.lines()));
                    Path ignore = Path.of(dockerfilePath + ".dockerignore");
                    if (Files.isRegularFile(ignore)) Files.copy(ignore, scratch.resolve("Dockerfile.dockerignore"));
                }
                boolean serialize = b.needsPinnedBases() && !pinned.complete();
                if (serialize) {
                    listener.note(p + ": some FROM images could not be pinned to a digest (" + String.join("; ", pinned.problems())
                            + "); builds on " + b.describe() + " take turns so that no platform gets another's base image");
                }
                String name = "polyarch-build/" + repoName(dest) + ":" + arch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
                BuildRequest req = new BuildRequest(context, dockerfile, p, args, spec.target(), scratch, name, pinned.insecure(), serialize,
                        dest instanceof StoreRef.Layout);
                List<String> archTags = spec.archTags() ? Tags.archTags(tags, arch) : List.of();
                jobs.add(new Job(p, b, req, archTags, pinned.finalBase(df, spec.target()), spec.test()));
                listener.state(p, "queued");
            }
            preflight(dest);
            long prepareMs = ms(t0);

            List<RunReport.ImageReport> images = new ArrayList<>();
            int parallel = spec.parallelism() > 0 ? spec.parallelism() : jobs.size();
            try (ContentStore target = stores.open(dest, true)) {
                ExecutorService pool = Executors.newFixedThreadPool(parallel);
                List<Future<RunReport.ImageReport>> futures = new ArrayList<>();
                try {
                    for (Job j : jobs) futures.add(pool.submit(() -> buildAndPush(j, target)));
                    if (spec.fastFail()) {
                        // the first failed platform cancels the others: they are interrupted, and nothing of theirs is pushed after
                        boolean cancelled = false;
                        while (!cancelled && futures.stream().anyMatch(f -> !f.isDone())) {
                            for (Future<RunReport.ImageReport> f : futures) {
                                if (f.isDone() && !f.isCancelled() && !"pushed".equals(f.get().state())) {
                                    cancelled = true;
                                    break;
                                }
                            }
                            if (!cancelled) Thread.sleep(20);
                        }
                        if (cancelled) futures.forEach(f -> f.cancel(true));
                    }
                    for (int i = 0; i < futures.size(); i++) {
                        Future<RunReport.ImageReport> f = futures.get(i);
                        if (f.isCancelled()) {
                            Platform p = jobs.get(i).platform();
                            listener.state(p, "cancelled");
                            images.add(new RunReport.ImageReport(p, "cancelled", null, 0, List.of(), 0, 0, 0, jobs.get(i).builder().describe(),
                                    "cancelled: another platform failed and fastFail is on"));
                        } else {
                            images.add(f.get());
                        }
                    }
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a build task failed unexpectedly", e.getCause());
                } catch (InterruptedException e) {
                    futures.forEach(f -> f.cancel(true));
                    throw e;
                } finally {
                    pool.shutdownNow();
                }
            } catch (StoreException e) {
                throw new RunFailedException("cannot open the destination " + dest + ": " + e.getMessage());
            }

            Map<String, Long> durations = new LinkedHashMap<>();
            durations.put("prepare", prepareMs);
            for (RunReport.ImageReport r : images) {
                durations.put("build:" + r.platform(), r.buildMs());
                durations.put("engine:" + r.platform(), r.engineMs());
                durations.put("push:" + r.platform(), r.pushMs());
            }
            String repository = repositoryText(dest);
            List<RunReport.ImageReport> failed = images.stream().filter(r -> !"pushed".equals(r.state())).toList();
            if (!failed.isEmpty()) {
                List<String> pushed = images.stream().filter(r -> "pushed".equals(r.state()))
                        .map(r -> r.platform() + (r.tags().isEmpty() ? " (by digest only)" : " as " + String.join(", ", r.tags()))).toList();
                String why = String.join("; ", failed.stream().map(r -> r.platform() + ": " + r.error()).toList());
                if (!pushed.isEmpty()) notes.add("pushed before the failure and left in place: " + String.join("; ", pushed));
                notes.add("no index tag was written or moved");
                durations.put("total", ms(t0));
                return new RunReport(repository, src.commit(), src.branch(), tags, List.of(), List.of(), null, images, durations, notes, why);
            }

            long tp = System.nanoTime();
            List<IndexCreator.Source> sources = new ArrayList<>();
            for (RunReport.ImageReport r : images) {
                sources.add(new IndexCreator.Source(byDigest(dest, r.digest()), r.platform(), r.platform() + " build"));
            }
            IndexCreator.Result ir;
            try {
                ir = new IndexCreator(stores, opts.jobs(), Progress.NONE).create(new IndexCreator.Spec(dest.withTag(tags.get(0)),
                        tags.subList(1, tags.size()), IndexCreator.Kind.AUTO, Map.of(), sources, false));
            } catch (StoreException | InvalidInputException | ValidationException e) {
                durations.put("publish", ms(tp));
                durations.put("total", ms(t0));
                notes.add("no index tag was written or moved");
                return new RunReport(repository, src.commit(), src.branch(), tags, List.of(), List.of(), null, images, durations, notes,
                        "publishing the index failed: " + e.getMessage());
            }
            durations.put("publish", ms(tp));
            durations.put("total", ms(t0));
            return new RunReport(repository, src.commit(), src.branch(), tags, ir.tagsWritten(), ir.tagsUnchanged(), ir.index(), images,
                    durations, notes, null);
        } catch (IOException e) {
            throw new RunFailedException("cannot prepare the build in " + runDir + ": " + e.getMessage());
        } finally {
            builders.close();
            deleteTree(runDir);
        }
    }

    private RunReport.ImageReport buildAndPush(Job j, ContentStore target) {
        Platform p = j.platform();
        long t0 = System.nanoTime();
        long buildMs = 0;
        // the base's layer list is fetched while the engine builds; it is only compared afterwards. A platform thread: with
        // a virtual one, the process took 0.3 s longer to end after System.exit (measured, cause not found)
        java.util.concurrent.CompletableFuture<List<Digest>> base = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return baseLayers(j);
            } catch (StoreException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, r -> Thread.ofPlatform().daemon().name("base-check").start(r));
        try {
            listener.state(p, "building");
            BuildOutput out = j.builder().build(j.request(), line -> listener.log(p, line));
            buildMs = ms(t0);
            if (j.test() != null) {
                listener.state(p, "testing");
                for (String c : j.test().commands()) j.builder().test(out, p, c, j.test().timeout(), line -> listener.log(p, "test: " + line));
            }
            listener.state(p, "pushing");
            long tp = System.nanoTime();
            try (OciLayoutStore layout = OciLayoutStore.open(out.layout(), false)) {
                RawManifest m = Images.require(layout, out.manifest().toString(), "built image for " + p);
                Manifest parsed = Images.parse(m, "built image for " + p);
                if (!(parsed instanceof ImageManifest im)) throw new BuildException("the builder produced an index for " + p + ", expected one image");
                ImageConfig cfg = Images.config(layout, im);
                if (cfg.platform() == null || !cfg.platform().matches(p)) {
                    throw new BuildException("the build for " + p + " produced an image whose config says " + cfg.platform()
                            + " (a base image of the wrong architecture?); not pushed");
                }
                checkBase(j, cfg, base);
                new BlobTransfer(opts.jobs(), Progress.NONE).transfer(layout, target, im.blobs());
                target.putManifest(m, null);
                List<String> written = new ArrayList<>();
                for (String t : j.archTags()) {
                    Optional<Descriptor> now = target.headManifest(t);
                    if (now.isEmpty() || !now.get().digest().equals(m.digest())) target.putManifest(m, t);
                    written.add(t);
                }
                long size = m.size() + im.blobs().stream().mapToLong(Descriptor::size).sum();
                listener.state(p, "pushed");
                return new RunReport.ImageReport(p, "pushed", m.digest(), size, written, buildMs, out.engineMs(), ms(tp), j.builder().describe(), null);
            }
        } catch (BuildException | StoreException | RuntimeException e) {
            listener.state(p, "failed");
            String msg = e instanceof RuntimeException ? "internal error: " + e : e.getMessage();
            return new RunReport.ImageReport(p, "failed", null, 0, List.of(), buildMs == 0 ? ms(t0) : buildMs, 0, 0, j.builder().describe(), msg);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            listener.state(p, "cancelled");
            return new RunReport.ImageReport(p, "cancelled", null, 0, List.of(), ms(t0), 0, 0, j.builder().describe(), "cancelled");
        }
    }

    /**
     * The config's platform is what the engine was asked for, not proof of what is inside: an engine that takes a
     * base image of another architecture still labels the result with the requested one. The built image must
     * start with the layers of the base pinned for its platform.
     */
    private void checkBase(Job j, ImageConfig built, java.util.concurrent.CompletableFuture<List<Digest>> base)
            throws StoreException, BuildException, InterruptedException {
        List<Digest> expected;
        try {
            expected = base.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            throw new BuildException("cannot read the base image " + j.base() + ": " + e.getCause(), e.getCause());
        }
        if (expected == null) return;
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
    private void preflight(StoreRef dest) throws RunFailedException {
        try (ContentStore target = stores.open(dest, true)) {
            target.statBlob(Digest.sha256(new byte[0]));
        } catch (StoreException e) {
            throw new RunFailedException("cannot use the destination " + dest + " (nothing was built): " + e.getMessage());
        }
    }

    /** The diff_ids of the job's pinned base, or null when it has none (scratch, or not pinned). */
    private List<Digest> baseLayers(Job j) throws StoreException {
        if (j.base() == null) return null;
        try (ContentStore s = stores.open(new StoreRef.Registry(j.base()), false)) {
            RawManifest m = Images.require(s, j.base().identifier(), "base image " + j.base());
            if (!(Images.parse(m, "base image " + j.base()) instanceof ImageManifest bm)) return null;
            return Images.config(s, bm).diffIds();
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

    private Pinned pin(Dockerfile df, Platform p, Builder b, Map<String, String> buildArgs, Map<String, Optional<RawManifest>> cache)
            throws InterruptedException {
        Map<String, String> args = new HashMap<>(buildArgs);
        Platform bp = b.nativePlatform();
        putPlatformArgs(args, "TARGET", p);
        putPlatformArgs(args, "BUILD", bp);
        Map<Integer, String> lines = new HashMap<>();
        List<String> problems = new ArrayList<>();
        boolean insecure = false;
        Set<String> stages = new HashSet<>();
        for (Dockerfile.From f : df.froms()) {
            try {
                if (f.isStageOrScratch(stages)) continue;
                String img = df.expand(f.image(), args);
                if (img == null) {
                    problems.add("FROM " + f.image() + " uses an ARG with no value");
                    continue;
                }
                if (stages.contains(img.toLowerCase(Locale.ROOT)) || img.equalsIgnoreCase("scratch")) continue;
                Platform fp = p;
                if (f.platformFlag() != null) {
                    String flag = df.expand(f.platformFlag(), args);
                    if (flag == null) {
                        problems.add("FROM --platform=" + f.platformFlag() + " uses an ARG with no value");
                        continue;
                    }
                    fp = Platform.parse(flag);
                }
                Reference ref = Reference.parse(img);
                insecure |= stores.registries().options().insecure(ref.registry());
                if (ref.digest() != null) continue;
                Optional<RawManifest> m = resolve(ref, cache);
                if (m.isEmpty()) {
                    problems.add(img + " not found");
                    continue;
                }
                Digest d = m.get().digest();
                Manifest parsed = m.get().parse();
                if (parsed instanceof ImageIndex idx) {
                    final Platform want = fp;
                    Optional<Descriptor> child = idx.manifests().stream()
                            .filter(x -> x.platform() != null && !x.isAttestation() && x.platform().matches(want)).findFirst();
                    if (child.isEmpty()) {
                        problems.add(img + " has no " + want + " image");
                        continue;
                    }
                    d = child.get().digest();
                }
                lines.put(f.line(), ref.repositoryOnly().withDigest(d).toString());
            } catch (IllegalArgumentException | StoreException e) {
                problems.add(f.image() + ": " + e.getMessage());
            } finally {
                if (f.stageName() != null) stages.add(f.stageName());
            }
        }
        return new Pinned(lines, problems.isEmpty(), insecure, problems);
    }

    private Optional<RawManifest> resolve(Reference ref, Map<String, Optional<RawManifest>> cache) throws StoreException {
        String key = ref.toString();
        synchronized (cache) {
            if (cache.containsKey(key)) return cache.get(key);
        }
        Optional<RawManifest> m;
        try (ContentStore s = stores.open(new StoreRef.Registry(ref), false)) {
            m = s.getManifest(ref.identifier());
        } catch (io.polyarch.store.NotFoundException e) {
            m = Optional.empty();
        }
        synchronized (cache) {
            cache.put(key, m);
        }
        return m;
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
            throw new ConfigException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "' needs the AWS integration, which this polyarch "
                    + "does not have yet; publish to a registry instead: destination.registry.repository: HOST/PATH, or --to");
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
        } catch (IOException ignored) {
            // scratch left in the temp dir
        }
    }
}
