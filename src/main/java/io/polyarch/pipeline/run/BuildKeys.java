package io.polyarch.pipeline.run;

import io.polyarch.build.BuildContext;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.ops.Images;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Build keys: what an image is a function of, so that a job whose inputs did not change can take the image already
 * in the destination. A key covers the platform, the Dockerfile's bytes, the target, every build argument, each FROM
 * image's digest for this platform, and the context as the builder sees it ({@link BuildContext}). It is stored as
 * the image label {@link #LABEL} and found with one request under the tag {@link #tag(String)}.
 */
final class BuildKeys {
    static final String LABEL = "io.polyarch.build-key";
    static final String TAG_PREFIX = "polyarch-key-";
    static final String CACHE_TAG_PREFIX = "polyarch-cache-";

    /** An image found under a key's tag that carries the key and the platform. */
    record Found(RawManifest manifest, ImageManifest image) {
    }

    private BuildKeys() {
    }

    /**
     * @param labels         the config's own labels as written (placeholders not expanded): a changed label rebuilds, a
     *                       new commit does not; the {@code org.opencontainers.image.*} labels polyarch sets are not part of the key
     * @param contextDigests context digests already computed in this run, by Dockerfile (its ignore file may differ)
     */
    static String key(Path context, Path dockerfile, Platform p, Map<String, String> args, String target, Map<Integer, String> pinnedFroms,
                      Map<String, String> labels, Map<Path, Digest> contextDigests) throws IOException {
        StringBuilder k = new StringBuilder("polyarch build key 1\n");
        k.append("platform ").append(p.key()).append('\n');
        k.append("dockerfile ").append(Digest.sha256(Files.readAllBytes(dockerfile))).append('\n');
        k.append("target ").append(target == null ? "" : target).append('\n');
        new TreeMap<>(args).forEach((name, value) -> k.append("arg ").append(name).append('=').append(value).append('\n'));
        new TreeMap<>(pinnedFroms).forEach((line, ref) -> k.append("from ").append(line).append(' ').append(ref).append('\n'));
        new TreeMap<>(labels).forEach((name, value) -> k.append("label ").append(name).append('=').append(value).append('\n'));
        Digest ctx = contextDigests.get(dockerfile);
        if (ctx == null) {
            ctx = BuildContext.of(context, dockerfile).digest(context);
            contextDigests.put(dockerfile, ctx);
        }
        k.append("context ").append(ctx).append('\n');
        return Digest.sha256(k.toString().getBytes(StandardCharsets.UTF_8)).hex();
    }

    static String tag(String key) {
        return TAG_PREFIX + key;
    }

    /** The tag of a platform's layer cache: the last image built for this variant and architecture. */
    static String cacheTag(PipelineSpec.Variant v, String arch) {
        String slug = (v.name().isEmpty() ? "" : v.name() + "-") + arch;
        return CACHE_TAG_PREFIX + slug.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
    }

    /**
     * The image under the key's tag, when its config carries the same key and the wanted platform; empty when there
     * is none. {@code mismatch} gets a reason when something is there but is not trusted.
     */
    static Optional<Found> find(ContentStore target, String key, Platform p, java.util.function.Consumer<String> mismatch) throws StoreException {
        Optional<RawManifest> found = target.getManifest(tag(key));
        if (found.isEmpty()) return Optional.empty();
        RawManifest m = found.get();
        if (!(Images.parse(m, "the image under " + TAG_PREFIX + key.substring(0, 12) + "...") instanceof ImageManifest im)) {
            mismatch.accept("the tag " + TAG_PREFIX + key.substring(0, 12) + "... names an index, not an image");
            return Optional.empty();
        }
        ImageConfig cfg = Images.config(target, im);
        if (!key.equals(cfg.labels().get(LABEL)) || cfg.platform() == null || !cfg.platform().matches(p)) {
            mismatch.accept("the image under " + TAG_PREFIX + key.substring(0, 12) + "... does not carry this build key or platform");
            return Optional.empty();
        }
        return Optional.of(new Found(m, im));
    }
}
