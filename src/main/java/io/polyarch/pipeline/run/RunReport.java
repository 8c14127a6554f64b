package io.polyarch.pipeline.run;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.Platform;

import java.util.List;
import java.util.Map;

/**
 * The outcome of one run, for the summary and {@code --json}.
 *
 * @param index    the published index, or null when the run failed before publishing
 * @param failure  why the run failed, or null on success
 */
public record RunReport(String repository, String commit, String branch, List<String> tags, List<String> tagsWritten,
                        List<String> tagsUnchanged, Descriptor index, List<ImageReport> images, Map<String, Long> durationsMs,
                        List<String> notes, String failure) {
    public RunReport {
        tags = List.copyOf(tags);
        tagsWritten = List.copyOf(tagsWritten);
        tagsUnchanged = List.copyOf(tagsUnchanged);
        images = List.copyOf(images);
        durationsMs = Map.copyOf(durationsMs);
        notes = List.copyOf(notes);
    }

    public boolean ok() {
        return failure == null;
    }

    /**
     * One platform's image.
     *
     * @param state     {@code pushed}, {@code failed} or {@code cancelled}
     * @param tags      arch tags written or already in place
     * @param buildMs   build and export into a local layout
     * @param engineMs  of which the engine's build command
     * @param error     why it failed, or null
     */
    public record ImageReport(Platform platform, String state, Digest digest, long size, List<String> tags, long buildMs,
                              long engineMs, long pushMs, String builder, String error) {
        public ImageReport {
            tags = List.copyOf(tags);
        }
    }
}
