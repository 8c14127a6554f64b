package io.polyarch.oci;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A manifest exactly as sent or received. The digest is computed over these bytes and never over
 * re-serialised JSON, since any whitespace change would give another digest (ggcr's {@code RawManifest}).
 */
public record RawManifest(MediaType mediaType, byte[] bytes, Digest digest) {
    public RawManifest {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(bytes, "bytes");
        bytes = bytes.clone();
        if (digest == null) digest = Digest.sha256(bytes);
    }

    public static RawManifest of(MediaType mediaType, byte[] bytes) {
        return new RawManifest(mediaType, bytes, null);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    public Descriptor descriptor() {
        return Descriptor.of(mediaType, digest, bytes.length);
    }

    /**
     * This manifest as the referrers API lists it: its descriptor with the artifact type (the manifest's
     * {@code artifactType}, else its config's media type) and the manifest's annotations.
     */
    public Descriptor asReferrer() {
        Manifest parsed = parse();
        String artifactType;
        Map<String, String> annotations;
        if (parsed instanceof ImageManifest im) {
            artifactType = im.artifactType() != null ? im.artifactType() : im.config().mediaType().value();
            annotations = im.annotations();
        } else {
            ImageIndex ii = (ImageIndex) parsed;
            artifactType = ii.artifactType();
            annotations = ii.annotations();
        }
        return new Descriptor(mediaType, digest, bytes.length, List.of(), annotations, null, artifactType);
    }

    /** The manifest's subject, or null. */
    public Descriptor subject() {
        Manifest parsed = parse();
        return parsed instanceof ImageManifest im ? im.subject() : ((ImageIndex) parsed).subject();
    }

    public Manifest parse() {
        return OciJson.parseManifest(mediaType, bytes);
    }

    /** The manifest parsed, or empty when the bytes are not one this model reads (another tool's, or garbage). */
    public java.util.Optional<Manifest> tryParse() {
        try {
            return java.util.Optional.of(parse());
        } catch (IllegalArgumentException notOurs) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawManifest r && r.mediaType.equals(mediaType) && Arrays.equals(r.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "RawManifest[" + mediaType + ", " + digest + ", " + bytes.length + " bytes]";
    }
}
