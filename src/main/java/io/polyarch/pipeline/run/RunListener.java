package io.polyarch.pipeline.run;

import io.polyarch.oci.Platform;

/** What a run reports while it works; the CLI turns it into terminal output, a server could stream it. */
public interface RunListener {
    /** A platform moved to a new state: {@code queued}, {@code building}, {@code pushing}, {@code pushed}, {@code failed}. */
    void state(Platform platform, String state);

    /** A line of a platform's build log. */
    void log(Platform platform, String line);

    /** Something the user should know that belongs to no platform. */
    void note(String message);

    RunListener NONE = new RunListener() {
        @Override
        public void state(Platform platform, String state) {
        }

        @Override
        public void log(Platform platform, String line) {
        }

        @Override
        public void note(String message) {
        }
    };
}
