package io.polyarch.oci;

import java.util.List;
import java.util.Map;

/**
 * The parts of an image config
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/config.md">config.md</a>) that polyarch reads:
 * the platform it was built for, its labels and its layer diff IDs. The raw bytes stay with the blob.
 */
public record ImageConfig(Platform platform, Map<String, String> labels, List<Digest> diffIds, String created) {
    public ImageConfig {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
    }
}
