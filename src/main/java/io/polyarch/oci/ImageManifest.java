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

    /** Config first, then layers: every blob the manifest needs. */
    public List<Descriptor> blobs() {
        var all = new java.util.ArrayList<Descriptor>(layers.size() + 1);
        all.add(config);
        all.addAll(layers);
        return all;
    }
}
