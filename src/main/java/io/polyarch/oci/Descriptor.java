package io.polyarch.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An OCI content descriptor
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/descriptor.md">descriptor.md</a>).
 *
 * <pre>{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:…", "size": 7143,
 *  "platform": {"architecture": "arm64", "os": "linux"}}</pre>
 */
public record Descriptor(MediaType mediaType, Digest digest, long size, List<String> urls,
                         Map<String, String> annotations, Platform platform, String artifactType) {
    public static final String ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) throw new IllegalArgumentException("negative size " + size + " for " + digest);
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public static Descriptor of(MediaType mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, List.of(), Map.of(), null, null);
    }

    public static Descriptor of(MediaType mediaType, byte[] content) {
        return of(mediaType, Digest.sha256(content), content.length);
    }

    public Descriptor withPlatform(Platform p) {
        return new Descriptor(mediaType, digest, size, urls, annotations, p, artifactType);
    }

    public Descriptor withAnnotations(Map<String, String> a) {
        return new Descriptor(mediaType, digest, size, urls, a, platform, artifactType);
    }

    public Descriptor withMediaType(MediaType m) {
        return new Descriptor(m, digest, size, urls, annotations, platform, artifactType);
    }

    /**
     * Docker's buildx attaches provenance/SBOM manifests to an index as platform unknown/unknown with
     * {@code vnd.docker.reference.type=attestation-manifest}; they are not runnable images.
     */
    public boolean isAttestation() {
        return "attestation-manifest".equals(annotations.get("vnd.docker.reference.type"))
                || (platform != null && platform.isUnknown());
    }
}
