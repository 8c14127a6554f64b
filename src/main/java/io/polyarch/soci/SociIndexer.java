package io.polyarch.soci;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Makes SOCI indexes for the images in one repository, as soci-snapshotter's {@code soci create} (v1) and
 * {@code soci convert} (v2) do, but straight from the store with no containerd: every layer is streamed once
 * (layers in parallel), its zTOC computed on the way, and only when every layer of every selected platform has
 * succeeded is anything written (zTOC blobs, the SOCI index manifests, and for v2 the annotated image manifests
 * and the new image index). Tags are the caller's business.
 */
public final class SociIndexer {
    public static final String ARTIFACT_TYPE_V1 = "application/vnd.amazon.soci.index.v1+json";
    public static final String ARTIFACT_TYPE_V2 = "application/vnd.amazon.soci.index.v2+json";
    public static final MediaType ZTOC_MEDIA_TYPE = MediaType.of("application/octet-stream");
    public static final String ANNOTATION_LAYER_MEDIA_TYPE = "com.amazon.soci.image-layer-mediaType";
    public static final String ANNOTATION_LAYER_DIGEST = "com.amazon.soci.image-layer-digest";
    public static final String ANNOTATION_SPAN_SIZE = "com.amazon.soci.span-size";
    public static final String ANNOTATION_BUILD_TOOL = "com.amazon.soci.build-tool-identifier";
    public static final String ANNOTATION_IMAGE_MANIFEST_DIGEST = "com.amazon.soci.image-manifest-digest";
    public static final String ANNOTATION_INDEX_DIGEST = "com.amazon.soci.index-digest";
    public static final long DEFAULT_SPAN_SIZE = 4L << 20;
    public static final long DEFAULT_MIN_LAYER_SIZE = 10L << 20;
    /** The content of a SOCI index's config: the empty JSON object. */
    static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.UTF_8);

    public enum Format {
        /** An image index whose image manifests carry {@code com.amazon.soci.index-digest} (soci's default since 0.10). */
        V2(ARTIFACT_TYPE_V2),
        /** A manifest with a {@code subject}, found through the referrers API or its tag fallback. */
        V1(ARTIFACT_TYPE_V1);

        public final String artifactType;

        Format(String artifactType) {
            this.artifactType = artifactType;
        }

        public static Format parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "v2", "2" -> V2;
                case "v1", "1" -> V1;
                default -> throw new IllegalArgumentException("unknown SOCI index format '" + s + "'; use v2 (the default) or v1");
            };
        }
    }

    public record Options(Format format, long spanSize, long minLayerSize, String buildTool, int jobs) {
        public Options {
            if (spanSize <= 0) throw new IllegalArgumentException("span size must be positive, not " + spanSize);
            if (minLayerSize < 0) throw new IllegalArgumentException("minimum layer size must not be negative, not " + minLayerSize);
            if (jobs < 1) jobs = 1;
        }

        public static Options defaults(String buildTool) {
            return new Options(Format.V2, DEFAULT_SPAN_SIZE, DEFAULT_MIN_LAYER_SIZE, buildTool, Runtime.getRuntime().availableProcessors());
        }
    }

    /** One layer: the zTOC made for it, or why it was skipped ({@code ztoc} null). */
    public record LayerOutcome(Descriptor layer, Descriptor ztoc, String skipped, long millis) {
    }

    /**
     * One platform's image. {@code sociIndex} is null when no layer qualified (then {@code image} is unchanged);
     * for v2 {@code image} is the annotated manifest that replaces {@code original} in the index.
     */
    public record ImageOutcome(Platform platform, Descriptor original, Descriptor image, Descriptor sociIndex, List<LayerOutcome> layers) {
        public ImageOutcome {
            layers = List.copyOf(layers);
        }
    }

    /** Everything written; {@code index} is the v2 image index to tag (null for v1, whose tags do not move). */
    public record Result(Format format, List<ImageOutcome> images, RawManifest index) {
        public Result {
            images = List.copyOf(images);
        }
    }

    /** The input cannot be indexed (a layer that is not what its media type says, nothing to index); names what. */
    public static final class SociException extends io.polyarch.error.PolyarchException {
        public SociException(String message, Throwable cause) {
            super(Kind.FAILURE, message, cause);
        }
    }

    private final Options options;
    private final Consumer<String> log;

    public SociIndexer(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    /** An image manifest to index, with the platform it stands for. */
    public record Target(Platform platform, Descriptor descriptor) {
    }

    /**
     * Indexes the given image manifests of {@code top} (an index or a single image manifest) in {@code store} and
     * writes the result there. For v2, the returned index is {@code top} with each indexed image replaced by its
     * annotated copy and its SOCI index listed beside it (an earlier SOCI index for that platform is replaced), so
     * indexing the same content again gives the same digest.
     */
    public Result index(ContentStore store, RawManifest top, List<Target> targets) throws StoreException, SociException {
        Map<Target, RawManifest> manifests = new LinkedHashMap<>();
        for (Target t : targets) manifests.put(t, require(store, t.descriptor()));
        Map<Digest, Built> built = buildAll(store, manifests);
        List<ImageOutcome> outcomes = new ArrayList<>();
        // everything computed: now write, blobs before the manifests that name them
        boolean configWritten = false;
        for (Target t : targets) {
            RawManifest raw = manifests.get(t);
            ImageManifest image = (ImageManifest) raw.parse();
            List<LayerOutcome> layers = new ArrayList<>();
            List<Descriptor> ztocs = new ArrayList<>();
            for (Descriptor layer : image.layers()) {
                Built b = built.get(layer.digest());
                if (b == null) continue;
                layers.add(new LayerOutcome(layer, b.descriptor, b.skipped, b.millis));
                if (b.descriptor != null) {
                    store.putBlob(b.descriptor, () -> new ByteArrayInputStream(b.bytes));
                    ztocs.add(b.descriptor.withAnnotations(Map.of(
                            ANNOTATION_LAYER_MEDIA_TYPE, layer.mediaType().value(),
                            ANNOTATION_LAYER_DIGEST, layer.digest().toString(),
                            ANNOTATION_SPAN_SIZE, Long.toString(options.spanSize()))));
                }
            }
            if (ztocs.isEmpty()) {
                log.accept(t.platform() + ": no layer to index (" + (image.layers().isEmpty() ? "the image has no layers"
                        : "every layer was skipped") + "); this platform gets no SOCI index");
                outcomes.add(new ImageOutcome(t.platform(), t.descriptor(), t.descriptor(), null, layers));
                continue;
            }
            Descriptor config = Descriptor.of(MediaType.of(options.format().artifactType), EMPTY_CONFIG);
            if (!configWritten) {
                store.putBlob(config, () -> new ByteArrayInputStream(EMPTY_CONFIG));
                configWritten = true;
            }
            Descriptor subject = options.format() == Format.V1
                    ? Descriptor.of(t.descriptor().mediaType(), t.descriptor().digest(), t.descriptor().size()) : null;
            ImageManifest soci = new ImageManifest(MediaType.OCI_MANIFEST, config, ztocs, subject, null,
                    Map.of(ANNOTATION_BUILD_TOOL, options.buildTool()));
            RawManifest sociRaw = RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(soci));
            store.putManifest(sociRaw, null);
            Descriptor sociDesc = new Descriptor(MediaType.OCI_MANIFEST, sociRaw.digest(), sociRaw.size(), List.of(), Map.of(),
                    null, options.format().artifactType);
            Descriptor imageDesc = t.descriptor();
            if (options.format() == Format.V2) {
                RawManifest annotated = annotate(raw, sociRaw.digest());
                store.putManifest(annotated, null);
                Map<String, String> ann = new LinkedHashMap<>(t.descriptor().annotations());
                ann.putAll(((ImageManifest) annotated.parse()).annotations());
                imageDesc = new Descriptor(MediaType.OCI_MANIFEST, annotated.digest(), annotated.size(), t.descriptor().urls(),
                        ann, t.descriptor().platform(), t.descriptor().artifactType());
                sociDesc = sociDesc.withPlatform(t.platform())
                        .withAnnotations(Map.of(ANNOTATION_IMAGE_MANIFEST_DIGEST, annotated.digest().toString()));
            }
            outcomes.add(new ImageOutcome(t.platform(), t.descriptor(), imageDesc, sociDesc, layers));
        }
        if (outcomes.stream().allMatch(o -> o.sociIndex() == null)) {
            throw new SociException("no layer of any selected platform could be indexed (every layer is under the minimum of "
                    + options.minLayerSize() + " bytes, or not gzip/tar); lower --min-layer-size (soci.minLayerSize) to index smaller layers", null);
        }
        RawManifest index = options.format() == Format.V2 ? newIndex(top, outcomes) : null;
        if (index != null) store.putManifest(index, null);
        return new Result(options.format(), outcomes, index);
    }

    /** The image index for v2: the original entries, indexed images swapped for their annotated copies, SOCI indexes added. */
    static RawManifest newIndex(RawManifest top, List<ImageOutcome> outcomes) {
        List<Descriptor> entries = new ArrayList<>();
        Map<String, String> annotations = Map.of();
        Manifest parsed = top.parse();
        if (parsed instanceof ImageIndex ii) {
            entries.addAll(ii.manifests());
            annotations = ii.annotations();
        } else {
            ImageOutcome only = outcomes.get(0);
            entries.add(top.descriptor().withPlatform(only.platform()));
        }
        for (ImageOutcome o : outcomes) {
            if (o.sociIndex() == null) continue;
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).digest().equals(o.original().digest())) entries.set(i, o.image().withPlatform(entries.get(i).platform()));
            }
            entries.removeIf(e -> ARTIFACT_TYPE_V2.equals(e.artifactType()) && e.platform() != null && e.platform().matches(o.platform()));
            entries.add(o.sociIndex());
        }
        ImageIndex index = new ImageIndex(MediaType.OCI_INDEX, entries, null, null, annotations);
        return RawManifest.of(MediaType.OCI_INDEX, OciJson.write(index));
    }

    /**
     * The image manifest with {@code com.amazon.soci.index-digest} set, in OCI media types (a Docker v2 manifest has
     * no annotations), every other field kept as it was.
     */
    static RawManifest annotate(RawManifest image, Digest sociIndex) {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) OciJson.readTree(image.bytes(), "image manifest " + image.digest());
        tree.put("mediaType", MediaType.OCI_MANIFEST.value());
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("config");
        if (MediaType.DOCKER_CONFIG.value().equals(config.path("mediaType").asText())) config.put("mediaType", MediaType.OCI_CONFIG.value());
        var ann = tree.has("annotations") ? (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("annotations") : tree.putObject("annotations");
        ann.put(ANNOTATION_INDEX_DIGEST, sociIndex.toString());
        return RawManifest.of(MediaType.OCI_MANIFEST, OciJson.bytes(tree));
    }

    /**
     * The image manifests of {@code top} to index: those of the wanted platforms, or every image (attestations and
     * earlier SOCI indexes aside) when {@code all}; with neither, the host's platform, as soci does. A platform the
     * image does not have is an {@link IllegalArgumentException} listing those it has.
     */
    public static List<Target> select(ContentStore store, RawManifest top, List<Platform> wanted, boolean all, Platform host) throws StoreException {
        Manifest parsed = top.parse();
        List<Target> candidates = new ArrayList<>();
        if (parsed instanceof ImageIndex ii) {
            for (Descriptor d : ii.manifests()) {
                if (!d.mediaType().isImageManifest() || d.isAttestation() || d.platform() == null) continue;
                if (ARTIFACT_TYPE_V2.equals(d.artifactType()) || ARTIFACT_TYPE_V1.equals(d.artifactType())) continue;
                candidates.add(new Target(d.platform(), d));
            }
        } else {
            ImageManifest im = (ImageManifest) parsed;
            Platform p;
            try (InputStream in = store.openBlob(im.config())) {
                p = OciJson.parseConfig(in.readAllBytes()).platform();
            } catch (IOException | IllegalArgumentException e) {
                throw new StoreException("read config " + im.config().digest(), e.getMessage(), false, e);
            }
            if (p == null) throw new IllegalArgumentException("the image's config names no os/architecture, so its platform is unknown");
            candidates.add(new Target(p, top.descriptor()));
        }
        if (all) return candidates;
        List<Platform> want = wanted.isEmpty() ? List.of(new Platform("linux", host.architecture(), null)) : wanted;
        List<Target> out = new ArrayList<>();
        for (Platform w : want) {
            Target hit = candidates.stream().filter(c -> c.platform().matches(w)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "the image has no " + w + " manifest (it has " + String.join(", ", candidates.stream().map(c -> c.platform().toString()).toList())
                            + ")" + (wanted.isEmpty() ? "; the host's platform is the default: name others with --platform or use --all-platforms" : "")));
            if (!out.contains(hit)) out.add(hit);
        }
        return out;
    }

    private record Built(Descriptor descriptor, byte[] bytes, String skipped, long millis) {
    }

    /** Every distinct layer of the targets, in parallel (bounded); the first failure stops the rest. */
    private Map<Digest, Built> buildAll(ContentStore store, Map<Target, RawManifest> targets) throws StoreException, SociException {
        Map<Digest, Descriptor> layers = new LinkedHashMap<>();
        Map<Digest, String> owner = new LinkedHashMap<>();
        for (var e : targets.entrySet()) {
            Target t = e.getKey();
            ImageManifest image = (ImageManifest) e.getValue().parse();
            for (Descriptor l : image.layers()) {
                layers.putIfAbsent(l.digest(), l);
                owner.putIfAbsent(l.digest(), t.platform().toString());
            }
        }
        Map<Digest, Future<Built>> futures = new LinkedHashMap<>();
        Semaphore slots = new Semaphore(options.jobs());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Descriptor l : layers.values()) {
                futures.put(l.digest(), pool.submit(() -> {
                    slots.acquire();
                    try {
                        return buildOne(store, l, owner.get(l.digest()));
                    } finally {
                        slots.release();
                    }
                }));
            }
            Map<Digest, Built> out = new LinkedHashMap<>();
            for (var e : futures.entrySet()) {
                try {
                    out.put(e.getKey(), e.getValue().get());
                } catch (ExecutionException ex) {
                    futures.values().forEach(f -> f.cancel(true));
                    Throwable c = ex.getCause();
                    if (c instanceof StoreException se) throw se;
                    if (c instanceof SociException so) throw so;
                    throw new SociException("layer " + e.getKey() + ": " + c, c);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new SociException("interrupted", ex);
                }
            }
            return out;
        }
    }

    private Built buildOne(ContentStore store, Descriptor layer, String platform) throws StoreException, SociException {
        String skip = skipReason(layer);
        if (skip != null) {
            log.accept(platform + ": layer " + layer.digest().shortHex() + " skipped: " + skip);
            return new Built(null, null, skip, 0);
        }
        long start = System.nanoTime();
        boolean gzip = isGzip(layer.mediaType());
        ZtocBuilder.Built z;
        // the download and its digest check run on their own thread, a few MiB ahead of the inflater
        try (InputStream in = new io.polyarch.store.ReadAheadInputStream(store.openBlob(layer), 1 << 20, 8)) {
            z = gzip ? ZtocBuilder.fromGzipTar(in, options.spanSize(), options.buildTool())
                    : ZtocBuilder.fromTar(in, options.spanSize(), options.buildTool());
        } catch (GzipIndexer.FormatException | TocBuilder.TarException e) {
            throw new SociException("layer " + layer.digest() + " of " + platform + " (" + layer.mediaType() + ", " + layer.size()
                    + " bytes) cannot be indexed: " + e.getMessage(), e);
        } catch (IOException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            throw new StoreException("read layer " + layer.digest(), e.getMessage(), true, e);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        log.accept(platform + ": layer " + layer.digest().shortHex() + " -> zTOC " + Digest.sha256(z.bytes()).shortHex()
                + " (" + z.ztoc().files().size() + " entries, " + (z.ztoc().maxSpanId() + 1) + " spans, " + ms + " ms)");
        return new Built(Descriptor.of(ZTOC_MEDIA_TYPE, z.bytes()), z.bytes(), null, ms);
    }

    /** Why soci would not index this layer, or null. */
    String skipReason(Descriptor layer) {
        MediaType m = layer.mediaType();
        if (m.isZstd()) return "zstd-compressed (SOCI indexes gzip and uncompressed tar layers only)";
        if (!isGzip(m) && !isTar(m)) return "media type " + m + " is not a gzip or tar layer";
        if (layer.size() < options.minLayerSize()) {
            return "size " + layer.size() + " is under the minimum layer size " + options.minLayerSize();
        }
        return null;
    }

    static boolean isGzip(MediaType m) {
        String v = m.value();
        return v.endsWith(".tar+gzip") || v.equals("application/vnd.docker.image.rootfs.diff.tar.gzip")
                || v.equals("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
    }

    static boolean isTar(MediaType m) {
        String v = m.value();
        return v.equals("application/vnd.oci.image.layer.v1.tar") || v.equals("application/vnd.oci.image.layer.nondistributable.v1.tar")
                || v.equals("application/vnd.docker.image.rootfs.diff.tar");
    }

    private static RawManifest require(ContentStore store, Descriptor d) throws StoreException {
        return store.getManifest(d.digest().toString())
                .orElseThrow(() -> new io.polyarch.store.NotFoundException("read manifest " + d.digest(), "not in " + store.describe()));
    }
}
