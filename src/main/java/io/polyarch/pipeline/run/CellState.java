package io.polyarch.pipeline.run;

import io.polyarch.build.BuildOutput;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.RawManifest;

/** A cell's progress, filled in by its build, test, push and SOCI jobs, read by the publish and the report. */
final class CellState {
    volatile BuildOutput output;
    volatile RawManifest manifest;
    volatile ImageManifest image;
    volatile long buildMs;
    volatile long pushMs;
    volatile RunReport.ImageReport report;
    volatile Descriptor sociIndex; // v2: listed in the index beside the image
    volatile String reused;        // why the image with this job's build key was taken instead of building, or null
    volatile RawManifest published; // what the index lists for this cell: the pushed image, or its SOCI v2 annotated copy
    volatile java.time.Instant started;  // the build's start and end, for its provenance
    volatile java.time.Instant finished;
}
