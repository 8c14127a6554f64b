package io.polyarch.pipeline.run;

/**
 * What a run reports while it works; the CLI turns it into terminal output, a server could stream it. A cell is
 * a platform ({@code linux/arm64}), or a matrix variant and platform ({@code VERSION=3.12 linux/arm64}).
 */
public interface RunListener {
    /** A cell moved to a new state: {@code queued}, {@code building}, {@code testing}, {@code pushing}, {@code pushed}, {@code failed}, {@code cancelled}, {@code skipped}. */
    void state(String cell, String state);

    /** A line of a cell's build or test log. */
    void log(String cell, String line);

    /** Something the user should know that belongs to no cell. */
    void note(String message);

    RunListener NONE = new RunListener() {
        @Override
        public void state(String cell, String state) {
        }

        @Override
        public void log(String cell, String line) {
        }

        @Override
        public void note(String message) {
        }
    };
}
