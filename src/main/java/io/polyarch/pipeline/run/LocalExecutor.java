package io.polyarch.pipeline.run;

import io.polyarch.git.GitSource;
import io.polyarch.oci.Platform;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Stores;
import io.polyarch.ops.ValidationException;
import io.polyarch.ops.Workers;
import io.polyarch.pipeline.plan.Dag;
import io.polyarch.pipeline.plan.DagRunner;
import io.polyarch.pipeline.plan.JobKind;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.store.BlobUpload;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Runs a plan on this machine: from a checkout to a published multi-platform index. Every cell builds in parallel on
 * its engine, is checked ({@link BuildStep}) and pushed by digest ({@link PushStep}); only when every cell of a variant
 * succeeded is its index written, children by digest, under every tag, then its arch tags ({@link Publisher}).
 * A failed run never moves an index tag. Before anything is built: every FROM image is looked up and the destination
 * is checked while the engines are asked who they are; then each cell is prepared ({@link CellPreparer}).
 */
public final class LocalExecutor implements Executor {
    private final Stores stores;
    private final RunOptions opts;
    private final RunListener listener;
    private final Engines.Factory engines;
    private final Platform host;

    /** @param host the platform of this machine, for FROM images looked up before an engine has said its own */
    public LocalExecutor(Stores stores, RunOptions opts, RunListener listener, Engines.Factory engines, Platform host) {
        this.stores = stores;
        this.opts = opts;
        this.listener = listener;
        this.engines = engines;
        this.host = host;
    }

    /** The same executor with other options (the publish step after remote builds: {@link RunOptions#asReuseOnly}). */
    public LocalExecutor with(RunOptions o) {
        return new LocalExecutor(stores, o, listener, engines, host);
    }

    @Override
    public RunReport execute(Plan plan, PipelineSpec spec, GitSource.Checkout src) throws RunFailedException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> notes = new ArrayList<>(plan.notes());
        notes.forEach(listener::note);
        int cellCount = plan.variants().stream().mapToInt(v -> v.cells().size()).sum();
        Map<String, CellState> cells = new LinkedHashMap<>();
        try (Workers workers = new Workers(Math.min(64, opts.jobs() * Math.max(1, cellCount) + 8), "run");
             Engines engs = engines.open(spec.builder())) {
            // Every FROM image's lookup and the destination's check start now, while the engines are asked who they
            // are (each a process start and a round trip); the pins wait for them.
            workers.async(() -> probe(engs, spec.platforms()));
            BasePinner pinner = new BasePinner(stores, workers);
            for (Plan.Variant v : plan.variants()) {
                for (Plan.Cell c : v.cells()) pinner.prefetch(v.dockerfile(), c.platform(), host, c.buildArgs());
            }
            // the other destinations only get the published index: a build-only run (--no-publish) needs no access there
            List<StoreRef> others = plan.publish() ? plan.mirrors() : List.of();
            List<StoreRef> checked = new ArrayList<>(List.of(plan.destination()));
            checked.addAll(others);
            List<CompletableFuture<Void>> destinationChecks = new ArrayList<>();
            for (StoreRef d : checked) {
                destinationChecks.add(workers.async(() -> {
                    preflight(d);
                    return null;
                }));
            }
            Path runDir = scratchDir();
            List<CompletableFuture<Void>> cleanups = new CopyOnWriteArrayList<>();
            try {
                // builders stream a layer to the destination while they export it; the destination is opened below
                AtomicReference<ContentStore> openTarget = new AtomicReference<>();
                CellPreparer preparer = new CellPreparer(spec, opts, listener, engs, pinner, () -> uploads(openTarget.get()));
                Map<String, CellJob> jobs = preparer.prepare(plan, runDir);
                jobs.keySet().forEach(cell -> {
                    cells.put(cell, new CellState());
                    listener.state(cell, "queued");
                });
                for (int i = 0; i < checked.size(); i++) {
                    try {
                        Workers.await(destinationChecks.get(i));
                    } catch (StoreException e) {
                        throw new RunFailedException("cannot use the destination " + checked.get(i) + " (nothing was built): " + e.getMessage());
                    }
                }
                long prepareMs = ms(t0);
                Dag<Plan.Job> graph = plan.dag();
                ReportAssembler.Published published = new ReportAssembler.Published(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
                DagRunner.Result result;
                Map<StoreRef, ContentStore> mirrors = new LinkedHashMap<>();
                try (ContentStore target = stores.open(plan.destination(), true); Closing closing = new Closing(mirrors.values())) {
                    for (StoreRef m : others) {
                        try {
                            mirrors.put(m, stores.open(m, true));
                        } catch (StoreException e) {
                            throw new RunFailedException("cannot open the destination " + m + ": " + e.getMessage());
                        }
                    }
                    openTarget.set(target);
                    RunContext run = new RunContext(stores, opts, listener, workers, target);
                    Steps steps = new Steps(run, spec, plan, jobs, cells, published, cleanups,
                            (older, newer) -> GitSource.isAncestor(src.root(), older, newer, opts.env()),
                            new Attester(run, plan, src, spec.metadata().provenance()), mirrors, new ConcurrentHashMap<>());
                    result = new DagRunner(new DagRunner.Options(plan.parallelism(), plan.fastFail()))
                            .run(graph, node -> steps.run(node.payload()), (id, state, detail) -> steps.changed(graph.job(id).payload(), state));
                    notes.addAll(steps.attester().signed());
                } catch (StoreException e) {
                    throw new RunFailedException("cannot open the destination " + plan.destination() + ": " + e.getMessage());
                }
                return new ReportAssembler(plan, opts.publish()).assemble(src.branch(), result, cells, jobs, published, notes, prepareMs, t0);
            } catch (IOException e) {
                throw new RunFailedException("cannot prepare the build in " + runDir + ": " + e.getMessage());
            } finally {
                cleanups.forEach(CompletableFuture::join);
                deleteTree(runDir);
            }
        }
    }

    /** What each kind of job does, and the cell states a listener sees. */
    private record Steps(RunContext run, PipelineSpec spec, Plan plan, Map<String, CellJob> jobs, Map<String, CellState> cells,
                         ReportAssembler.Published published, List<CompletableFuture<Void>> cleanups, Publisher.History history,
                         Attester attester, Map<StoreRef, ContentStore> mirrors, Map<String, CompletableFuture<Void>> early) {
        void run(Plan.Job job) throws Exception {
            if (job.kind() == JobKind.PUBLISH) {
                Plan.Variant v = variantOf(job);
                Publisher.Outcome r;
                try {
                    r = uninterrupted(run.workers().submit(() -> new Publisher(run.stores(), run.opts().jobs(), run.target(), mirrors,
                            spec.soci() != null && "v1".equals(spec.soci().format()), early, history, attester).publish(plan, v, jobs, cells)));
                } catch (StoreException | InvalidInputException | ValidationException e) {
                    published.errors().put(v.name(), "publishing the index failed: " + e.getMessage());
                    throw e;
                }
                published.indexes().put(v.name(), r.index());
                published.mirrors().put(v.name(), r.mirrors());
                if (r.failure() != null) {
                    // published in the first destination; another destination's tags did not all move
                    published.errors().put(v.name(), r.failure());
                    throw new StoreException("publish", r.failure(), false, null);
                }
                return;
            }
            String cell = job.id().subject();
            CellJob j = jobs.get(cell);
            CellState c = cells.get(cell);
            switch (job.kind()) {
                case BUILD -> new BuildStep(run).run(j, c);
                case TEST -> new TestStep(run.listener()).run(j, c);
                case PUSH -> {
                    new PushStep(run).run(j, c);
                    if (c.reused == null) attester.provenance(variantOf(job), j, c, c.manifest.digest());
                    if (!mirrors.isEmpty()) {
                        // to the other destinations now, while other platforms build; the publish finishes what this misses
                        io.polyarch.oci.RawManifest image = c.manifest;
                        io.polyarch.ops.Replicator replicator = new io.polyarch.ops.Replicator(run.opts().jobs(), io.polyarch.ops.Progress.NONE);
                        early.put(cell, run.workers().async(() -> {
                            for (ContentStore m : mirrors.values()) replicator.copyImage(run.target(), m, image);
                            return null;
                        }));
                    }
                    // the pushed image's scratch (its exported layout) goes while the rest of the run goes on
                    Path scratch = j.request().scratch();
                    cleanups.add(run.workers().async(() -> {
                        deleteTree(scratch);
                        return null;
                    }));
                }
                case SOCI -> new SociStep(run, spec.soci()).run(j, c);
                default -> throw new IllegalStateException("no step for " + job.kind());
            }
        }

        Plan.Variant variantOf(Plan.Job job) {
            return plan.variants().stream().filter(x -> x.name().equals(job.variant())).findFirst().orElseThrow();
        }

        void changed(Plan.Job job, DagRunner.State state) {
            if (job.kind() == JobKind.PUBLISH) return;
            String label = switch (state) {
                case RUNNING -> switch (job.kind()) {
                    case BUILD -> "building";
                    case TEST -> "testing";
                    case SOCI -> "indexing (SOCI)";
                    default -> "pushing";
                };
                case SUCCEEDED -> job.kind() == JobKind.PUSH ? "pushed" : job.kind() == JobKind.SOCI ? "indexed" : null;
                case FAILED, FAILED_IGNORED -> "failed";
                case CANCELLED -> "cancelled";
                case SKIPPED -> "skipped";
                default -> null;
            };
            if (label != null) run.listener().state(job.id().subject(), label);
        }
    }

    /**
     * The result of a publish that has started: once its tags begin to move they all move, so a Ctrl-C then waits for
     * it (it takes a round trip per tag) rather than leave some tags on the new index and some on the old one.
     */
    private static <T> T uninterrupted(java.util.concurrent.Future<T> f) throws Exception {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception x) throw x;
                    throw e;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Asks every platform's engine once; a failure here is asked again, and reported, when the cells are prepared. */
    private static Void probe(Engines engs, List<Platform> platforms) {
        for (Platform p : platforms) {
            try {
                engs.forPlatform(p);
            } catch (RunFailedException | InterruptedException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * Reaches the destination with push access before any build starts, so that a wrong address or missing
     * credentials cost seconds, not a build's minutes.
     */
    private void preflight(StoreRef dest) throws StoreException {
        try (ContentStore target = stores.open(dest, true)) {
            target.statBlob(io.polyarch.oci.Digest.sha256(new byte[0]));
        }
    }

    /** Closes stores opened one by one (the other destinations), whichever opened. */
    private record Closing(java.util.Collection<ContentStore> stores) implements AutoCloseable {
        @Override
        public void close() {
            stores.forEach(ContentStore::close);
        }
    }

    private static Optional<BlobUpload> uploads(ContentStore target) {
        return target == null ? Optional.empty() : target.startUpload();
    }

    private Path scratchDir() throws RunFailedException {
        try {
            Files.createDirectories(opts.tempDir());
            return Files.createTempDirectory(opts.tempDir(), "polyarch-run-");
        } catch (IOException e) {
            throw new RunFailedException("cannot create a scratch directory in " + opts.tempDir() + ": " + e.getMessage());
        }
    }

    static long ms(long since) {
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
