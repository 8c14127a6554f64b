package io.polyarch.pipeline.run;

import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.build.Dockerfile;
import io.polyarch.build.Emulation;
import io.polyarch.build.PinnedDockerfile;
import io.polyarch.oci.Digest;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.store.BlobUpload;
import io.polyarch.store.StoreRef;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns each cell of the plan into a {@link CellJob}: its engine (and whether that engine can run the cell's RUN
 * steps), its FROM lines pinned, the pinned Dockerfile written to its scratch directory, its build key and the
 * request its builder gets. Nothing is built here; a cell that cannot run fails the run before any build starts.
 */
final class CellPreparer {
    private final PipelineSpec spec;
    private final RunOptions opts;
    private final RunListener listener;
    private final Engines engines;
    private final BasePinner pinner;
    private final Supplier<Optional<BlobUpload>> uploads;
    private final Map<Path, Digest> contextDigests = new HashMap<>();

    /** @param uploads opens a streamed upload to the destination (empty until the destination is open) */
    CellPreparer(PipelineSpec spec, RunOptions opts, RunListener listener, Engines engines, BasePinner pinner,
                 Supplier<Optional<BlobUpload>> uploads) {
        this.spec = spec;
        this.opts = opts;
        this.listener = listener;
        this.engines = engines;
        this.pinner = pinner;
        this.uploads = uploads;
    }

    /** Every cell's job, by cell name, in the plan's order. */
    Map<String, CellJob> prepare(Plan plan, Path runDir) throws RunFailedException, InterruptedException, IOException {
        Map<String, CellJob> jobs = new LinkedHashMap<>();
        io.polyarch.build.BuildExtras extras = opts.extras().withSecretFiles(runDir.resolve("secrets"));
        int vi = 0;
        for (Plan.Variant v : plan.variants()) {
            vi++;
            noteGitInContext(plan.context(), v);
            for (Plan.Cell c : v.cells()) {
                Builder b = engines.forPlatform(c.platform());
                java.util.Optional<String> cannot = b.cannot(opts.extras());
                if (cannot.isPresent()) {
                    throw new RunFailedException(io.polyarch.error.PolyarchException.Kind.USAGE, c.platform() + " on " + b.describe() + ": " + cannot.get());
                }
                checkEmulation(v.dockerfile(), c.platform(), b, vi == 1);
                Path scratch = Files.createDirectories(runDir.resolve(vi + "-" + c.platform().key().replace('/', '-')));
                jobs.put(c.name(), job(plan, v, c, b, scratch, extras));
            }
        }
        return jobs;
    }

    /**
     * A context with {@code .git} in it (the repository root, no {@code .dockerignore} entry) is sent to the builder
     * whole, and {@code .git} differs between two clones of one commit and between commits: build keys then match
     * neither on the next commit nor between the platform jobs and the publish job of a CI export.
     */
    private void noteGitInContext(Path context, Plan.Variant v) throws IOException {
        if (!Files.isDirectory(context.resolve(".git"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        if (io.polyarch.build.BuildContext.of(context, v.dockerfilePath()).excluded(".git")) return;
        listener.note("the build context includes .git (not in .dockerignore): it is part of every build key, so no image is reused "
                + "across commits or clones (CI jobs); add .git to .dockerignore unless the image needs it");
    }

    /** A foreign platform whose Dockerfile runs programs on the target needs emulation: here, a binfmt handler. */
    private void checkEmulation(Dockerfile df, Platform p, Builder b, boolean firstVariant) throws RunFailedException {
        if (Emulation.isNative(b.nativePlatform(), p) || !df.runsOnTarget()) return;
        if (b.usesLocalEmulation() && !Emulation.visible(opts.binfmtDir())) {
            // polyarch in a container with the host's engine: the host's handlers are not visible here
            if (firstVariant) listener.note(p + ": binfmt_misc is not mounted here (" + opts.binfmtDir() + "), so the emulation of the engine's host "
                    + "cannot be checked; its RUN steps for " + p + " need a qemu-" + Emulation.qemuName(p) + " handler there");
        } else if (b.usesLocalEmulation()) {
            if (Emulation.handler(opts.binfmtDir(), p).isEmpty()) throw new RunFailedException(p + ": " + Emulation.howToEnable(b.nativePlatform(), p));
        } else if (firstVariant) {
            listener.note(p + ": the engine at " + spec.builder().endpointFor(p) + " is " + b.nativePlatform()
                    + ", not native; its RUN steps depend on emulation there");
        }
    }

    private CellJob job(Plan plan, Plan.Variant v, Plan.Cell c, Builder b, Path scratch, io.polyarch.build.BuildExtras extras)
            throws InterruptedException, IOException {
        Dockerfile df = v.dockerfile();
        BasePinner.Pinned pinned = pinner.pin(df, c.platform(), b.nativePlatform(), c.buildArgs());
        Path dockerfile = v.dockerfilePath();
        if (!pinned.lines().isEmpty()) {
            dockerfile = PinnedDockerfile.write(scratch, df.rewrite(pinned.lines()), Path.of(v.dockerfilePath() + ".dockerignore"));
        }
        boolean serialize = b.needsPinnedBases() && !pinned.complete();
        if (serialize) {
            listener.note(c.name() + ": some FROM images could not be pinned to a digest (" + String.join("; ", pinned.problems())
                    + "); builds on " + b.describe() + " take turns so that no platform gets another's base image");
        }
        StoreRef dest = plan.destination();
        String slug = (v.name().isEmpty() ? "" : v.name() + "-") + c.arch();
        String name = "polyarch-build/" + repoName(dest) + ":" + slug.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        String key = pinned.complete()
                ? BuildKeys.key(plan.context(), v.dockerfilePath(), c.platform(), c.buildArgs(), v.spec().target(), pinned.lines(),
                spec.metadata().labels(), contextDigests)
                : null;
        Map<String, String> labels = new java.util.LinkedHashMap<>(v.labels());
        if (key != null) labels.put(BuildKeys.LABEL, key);
        if (key == null) listener.note(c.name() + ": no build key (" + String.join("; ", pinned.problems()) + "), so it is built every time");
        BuildRequest req = new BuildRequest(plan.context(), dockerfile, c.platform(), c.buildArgs(), v.spec().target(), scratch, name,
                pinned.insecure(), serialize, dest instanceof StoreRef.Layout, labels,
                dest instanceof StoreRef.Registry r ? r.reference().repositoryOnly().withTag(BuildKeys.cacheTag(v.spec(), c.arch())).toString() : null,
                uploads, null, spec.test() != null, extras);
        return new CellJob(c, b, req, pinned.finalBase(df, v.spec().target()), spec.test(), key, v.annotations(), pinned.lines());
    }

    private static String repoName(StoreRef dest) {
        String n = switch (dest) {
            case StoreRef.Registry r -> r.reference().repository();
            case StoreRef.Layout l -> String.valueOf(l.dir().getFileName());
        };
        n = n.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9/._-]", "-").replaceAll("^[^a-z0-9]+", "");
        return n.isEmpty() ? "image" : n;
    }
}
