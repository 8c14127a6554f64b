package io.polyarch.build;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.Platform;
import io.polyarch.store.BlobUpload;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One platform's build.
 *
 * @param context      the build context directory
 * @param dockerfile   the Dockerfile to build (may be a rewritten copy outside the context)
 * @param buildArgs    every {@code --build-arg}
 * @param target       the stage to build, or null for the last
 * @param scratch      a private directory for this build's temporary files and its output layout
 * @param name         the local image name to tag the build with (the image itself is taken by ID)
 * @param insecureBases true when some base image comes from a plain-HTTP registry (loopback or --insecure)
 * @param serialize    true when the build must hold the engine's lock (bases that could not be pinned on a racy engine)
 * @param oci          write OCI media types (for OCI layout destinations); otherwise Docker v2, as docker push does
 * @param labels       image labels to set ({@code --label}), e.g. the build key
 * @param cacheFrom    an image in a registry whose inline BuildKit cache this build may reuse layers from (this
 *                     platform's own, never another architecture's), or null; builders without BuildKit ignore it
 * @param uploads      opens a streamed upload to the destination, so a builder can send a layer while it exports it
 *                     (see {@link io.polyarch.store.BlobUpload}); none when null or empty
 * @param baseLayers   the layers of the image's base, diff_id to its compressed blob in the base's repository, asked
 *                     for when the export reaches them: a builder that exports layers itself names those blobs instead
 *                     of compressing the layers again (the push then mounts or copies them from the base); none when null
 * @param extras       --no-cache, --network, --secret (see {@link BuildExtras})
 * @param localImage   the image must also be left in the engine (test commands run in it); a builder that can hand the image
 *                     over without storing it in the engine (BuildKit's OCI exporter) does so only when this is false
 */
public record BuildRequest(Path context, Path dockerfile, Platform platform, Map<String, String> buildArgs, String target,
                           Path scratch, String name, boolean insecureBases, boolean serialize, boolean oci, Map<String, String> labels,
                           String cacheFrom, Supplier<Optional<BlobUpload>> uploads, Supplier<Map<Digest, Descriptor>> baseLayers,
                           boolean localImage, BuildExtras extras) {
    public BuildRequest {
        if (extras == null) extras = BuildExtras.NONE;
        buildArgs = Map.copyOf(buildArgs);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (uploads == null) uploads = Optional::empty;
        if (baseLayers == null) baseLayers = Map::of;
    }

    public BuildRequest withBaseLayers(Supplier<Map<Digest, Descriptor>> layers) {
        return new BuildRequest(context, dockerfile, platform, buildArgs, target, scratch, name, insecureBases, serialize, oci, labels,
                cacheFrom, uploads, layers, localImage, extras);
    }
}
