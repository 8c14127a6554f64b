package io.polyarch.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An image index / manifest list
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/image-index.md">image-index.md</a>).
 *
 * <pre>{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
 *  "manifests": [{"mediaType": "…", "digest": "sha256:…", "size": 480, "platform": {"os": "linux", "architecture": "arm64"}}]}</pre>
 */
public record ImageIndex(MediaType mediaType, List<Descriptor> manifests, Descriptor subject, String artifactType,
                         Map<String, String> annotations) implements Manifest {
    public ImageIndex {
        Objects.requireNonNull(mediaType, "mediaType");
        manifests = List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }
}
