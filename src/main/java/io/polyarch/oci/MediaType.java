package io.polyarch.oci;

import java.util.Locale;
import java.util.Objects;

/**
 * A media type string with knowledge of the two manifest families a registry serves:
 * Docker image manifest v2 schema 2 / manifest list, and OCI image manifest / index.
 */
public record MediaType(String value) {
    public static final MediaType OCI_MANIFEST = new MediaType("application/vnd.oci.image.manifest.v1+json");
    public static final MediaType OCI_INDEX = new MediaType("application/vnd.oci.image.index.v1+json");
    public static final MediaType OCI_CONFIG = new MediaType("application/vnd.oci.image.config.v1+json");
    public static final MediaType OCI_LAYER = new MediaType("application/vnd.oci.image.layer.v1.tar");
    public static final MediaType OCI_LAYER_GZIP = new MediaType("application/vnd.oci.image.layer.v1.tar+gzip");
    public static final MediaType OCI_LAYER_ZSTD = new MediaType("application/vnd.oci.image.layer.v1.tar+zstd");
    public static final MediaType OCI_EMPTY = new MediaType("application/vnd.oci.empty.v1+json");
    public static final MediaType DOCKER_MANIFEST = new MediaType("application/vnd.docker.distribution.manifest.v2+json");
    public static final MediaType DOCKER_MANIFEST_LIST = new MediaType("application/vnd.docker.distribution.manifest.list.v2+json");
    public static final MediaType DOCKER_CONFIG = new MediaType("application/vnd.docker.container.image.v1+json");
    public static final MediaType DOCKER_LAYER_GZIP = new MediaType("application/vnd.docker.image.rootfs.diff.tar.gzip");
    public static final MediaType DOCKER_FOREIGN_LAYER = new MediaType("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");

    /** The Accept header for manifest requests: every manifest type we can read. */
    public static final String MANIFEST_ACCEPT = String.join(", ",
            OCI_INDEX.value, OCI_MANIFEST.value, DOCKER_MANIFEST_LIST.value, DOCKER_MANIFEST.value);

    public MediaType {
        Objects.requireNonNull(value, "media type");
        // Content-Type headers may carry parameters ("; charset=utf-8"); the media type is what precedes them.
        int semi = value.indexOf(';');
        value = (semi >= 0 ? value.substring(0, semi) : value).trim().toLowerCase(Locale.ROOT);
        if (value.isEmpty() || !value.contains("/")) {
            throw new IllegalArgumentException("invalid media type '" + value + "'");
        }
    }

    public static MediaType of(String value) {
        return new MediaType(value);
    }

    public boolean isIndex() {
        return equals(OCI_INDEX) || equals(DOCKER_MANIFEST_LIST);
    }

    public boolean isImageManifest() {
        return equals(OCI_MANIFEST) || equals(DOCKER_MANIFEST);
    }

    public boolean isManifest() {
        return isIndex() || isImageManifest();
    }

    public boolean isDocker() {
        return value.startsWith("application/vnd.docker.");
    }

    public boolean isZstd() {
        return value.endsWith("+zstd") || value.endsWith(".zstd");
    }

    @Override
    public String toString() {
        return value;
    }
}
