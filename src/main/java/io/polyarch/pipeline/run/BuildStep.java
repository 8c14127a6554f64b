package io.polyarch.pipeline.run;

import io.polyarch.build.BuildException;
import io.polyarch.build.BuildOutput;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.RawManifest;
import io.polyarch.ops.Images;
import io.polyarch.ops.Workers;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A cell's build job: the image with the cell's build key when the destination has one (reuse), else a build on
 * the cell's engine, checked before anything is pushed: its config must say the platform it was built for, and its
 * layers must start with those of the base pinned for that platform.
 */
final class BuildStep {
    /** The job's pinned base image: its layers' diff_ids and blobs. */
    private record BaseImage(List<Digest> diffIds, List<Descriptor> layers) {
    }

    private final RunContext run;

    BuildStep(RunContext run) {
        this.run = run;
    }

    void run(CellJob j, CellState c) throws Exception {
        long t0 = System.nanoTime();
        c.started = java.time.Instant.now();
        if (reuse(j, c)) {
            c.buildMs = LocalExecutor.ms(t0);
            return;
        }
        if (run.opts().reuseOnly()) {
            throw new BuildException(j.key() == null ? "--reuse-only, but this job has no build key (a base image could not be resolved)"
                    : "--reuse-only: no image with build key " + j.key().substring(0, 12) + " (tag " + BuildKeys.tag(j.key())
                    + ") in the destination: this platform's build job has not pushed it, or its inputs differ from this checkout's");
        }
        // the base's layer list is fetched while the engine builds; it is only compared afterwards
        CompletableFuture<BaseImage> base = run.workers().async(() -> baseImage(j));
        try {
            build(j, c, base, t0);
        } catch (RuntimeException e) {
            throw new BuildException("internal error: " + e, e);
        } finally {
            if (c.buildMs == 0) c.buildMs = LocalExecutor.ms(t0);
            c.finished = java.time.Instant.now();
        }
    }

    /** The job's build, its image checked against its platform and its base; an image that fails either is not pushed. */
    private void build(CellJob j, CellState c, CompletableFuture<BaseImage> base, long t0) throws Exception {
        BuildOutput out = j.builder().build(j.request().withBaseLayers(() -> knownLayers(base)), line -> run.listener().log(j.name(), line));
        c.output = out;
        c.buildMs = LocalExecutor.ms(t0);
        try (OciLayoutStore layout = OciLayoutStore.open(out.layout(), false)) {
            RawManifest m = Images.require(layout, out.manifest().toString(), "built image for " + j.platform());
            Manifest parsed = Images.parse(m, "built image for " + j.platform());
            if (!(parsed instanceof ImageManifest im)) throw new BuildException("the builder produced an index for " + j.platform() + ", expected one image");
            ImageConfig cfg = Images.config(layout, im);
            if (cfg.platform() == null || !cfg.platform().matches(j.platform())) {
                throw new BuildException("the build for " + j.platform() + " produced an image whose config says " + cfg.platform()
                        + " (a base image of the wrong architecture?); not pushed");
            }
            String wrongBase = wrongBase(j, cfg, base);
            if (wrongBase != null) throw new BuildException(wrongBase + "; not pushed");
            c.image = annotated(im, j.annotations());
            c.manifest = c.image == im ? m : RawManifest.of(c.image.mediaType(), OciJson.write(c.image));
        }
    }

    /** The image manifest with the run's annotations: an OCI manifest, since Docker's schema 2 has none. */
    private static ImageManifest annotated(ImageManifest im, Map<String, String> annotations) {
        return annotations.isEmpty() ? im : im.annotated(annotations);
    }

    /**
     * An image in the destination made from exactly this job's inputs, if there is one: found under the key's tag,
     * and taken only when its config carries the same key and the right platform.
     */
    private boolean reuse(CellJob j, CellState c) throws StoreException {
        if (j.key() == null || run.opts().rebuild()) return false;
        Optional<BuildKeys.Found> found = BuildKeys.find(run.target(), j.key(), j.platform(), why -> run.listener().log(j.name(), why + "; building"));
        if (found.isEmpty()) return false;
        c.manifest = found.get().manifest();
        c.image = found.get().image();
        c.reused = "build key " + j.key().substring(0, 12) + " matches " + c.manifest.digest().shortHex()
                + ": same platform, Dockerfile, build args, base image digests and context";
        run.listener().log(j.name(), "reused " + c.manifest.digest() + " (" + c.reused + ")");
        return true;
    }

    /**
     * The config's platform is what the engine was asked for, not proof of what is inside: an engine that takes a
     * base image of another architecture still labels the result with the requested one. The built image must
     * start with the layers of the base pinned for its platform.
     */
    private static String wrongBase(CellJob j, ImageConfig built, CompletableFuture<BaseImage> base)
            throws StoreException, BuildException, InterruptedException {
        BaseImage b;
        try {
            b = Workers.await(base); // a store error as it is
        } catch (RuntimeException e) {
            throw new BuildException("cannot read the base image " + j.base() + ": " + e, e);
        }
        if (b == null) return null;
        List<Digest> expected = b.diffIds();
        List<Digest> got = built.diffIds();
        if (got.size() >= expected.size() && got.subList(0, expected.size()).equals(expected)) return null;
        int i = 0;
        while (i < expected.size() && i < got.size() && got.get(i).equals(expected.get(i))) i++;
        String where = i < got.size() ? "its layer " + i + " is " + got.get(i).shortHex() + ", the base's is " + expected.get(i).shortHex()
                : "it has " + got.size() + " layers, the base " + expected.size();
        return "the " + j.platform() + " image is not built on the " + j.platform() + " base " + j.base()
                + " (its layers do not start with that image's: " + where + "): the engine used another base image";
    }


    /** The job's pinned base, or null when it has none (scratch, or not pinned). */
    private BaseImage baseImage(CellJob j) throws StoreException {
        if (j.base() == null) return null;
        try (ContentStore s = run.stores().open(new StoreRef.Registry(j.base()), false)) {
            RawManifest m = Images.require(s, j.base().identifier(), "base image " + j.base());
            if (!(Images.parse(m, "base image " + j.base()) instanceof ImageManifest bm)) return null;
            return new BaseImage(Images.config(s, bm).diffIds(), bm.layers());
        }
    }

    /**
     * The base's layers by diff_id, for the export to name instead of compressing them again; none when the base
     * could not be read (the base check then says why) or its config and manifest disagree.
     */
    private static Map<Digest, Descriptor> knownLayers(CompletableFuture<BaseImage> base) {
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
}
