package io.polyarch.build;

import io.polyarch.oci.Digest;

import java.nio.file.Path;

/**
 * A built image in an OCI image layout directory, tagged {@link #TAG} there.
 *
 * @param manifest the image manifest's digest in the layout
 */
public record BuildOutput(Path layout, Digest manifest) {
    public static final String TAG = "image";
}
