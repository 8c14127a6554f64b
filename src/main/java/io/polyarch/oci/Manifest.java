package io.polyarch.oci;

import java.util.Map;

/** Either an image manifest or an index; the parsed view of a {@link RawManifest}. */
public sealed interface Manifest permits ImageManifest, ImageIndex {
    MediaType mediaType();

    Map<String, String> annotations();
}
