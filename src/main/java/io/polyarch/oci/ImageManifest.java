package io.polyarch.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An image manifest, OCI ({@code application/vnd.oci.image.manifest.v1+json}) or Docker v2 schema 2
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/manifest.md">manifest.md</a>).
 *
 * <pre>{"schemaVersion": 2, "mediaType": "…manifest.v1+json", "config": {…}, "layers": [{…}]}</pre>
 */
public record ImageManifest(MediaType mediaType, Descriptor config, List<Descriptor> layers,
                            Descriptor subject, String artifactType, Map<String, String> annotations) implements Manifest {
    public ImageManifest {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(config, "config");
        layers = List.copyOf(layers);
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    /**
     * The same image as an OCI manifest carrying {@code extra} annotations: a Docker v2 manifest (which has no
     * annotations) has its descriptors' media types mapped to their OCI equals; every blob stays byte for byte.
     */
    public ImageManifest annotated(Map<String, String> extra) {
        Map<String, String> merged = new java.util.LinkedHashMap<>(annotations);
        merged.putAll(extra);
        if (mediaType.equals(MediaType.OCI_MANIFEST)) return new ImageManifest(mediaType, config, layers, subject, artifactType, merged);
        if (!mediaType.equals(MediaType.DOCKER_MANIFEST)) throw new IllegalArgumentException("not an image manifest: " + mediaType);
        Descriptor cfg = config.mediaType().equals(MediaType.DOCKER_CONFIG) ? config.withMediaType(MediaType.OCI_CONFIG) : config;
        List<Descriptor> ls = layers.stream().map(l -> l.mediaType().equals(MediaType.DOCKER_LAYER_GZIP) ? l.withMediaType(MediaType.OCI_LAYER_GZIP)
                : l.mediaType().equals(MediaType.DOCKER_FOREIGN_LAYER) ? l.withMediaType(new MediaType("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
                : l).toList();
        return new ImageManifest(MediaType.OCI_MANIFEST, cfg, ls, subject, artifactType, merged);
    }

    /** Config first, then layers: every blob the manifest needs. */
    public List<Descriptor> blobs() {
        var all = new java.util.ArrayList<Descriptor>(layers.size() + 1);
        all.add(config);
        all.addAll(layers);
        return all;
    }
}
