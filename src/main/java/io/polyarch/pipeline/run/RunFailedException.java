package io.polyarch.pipeline.run;

/** The run could not start for a reason of the environment (no engine, no emulation): exit 1, nothing published. */
public final class RunFailedException extends io.polyarch.error.PolyarchException {
    public RunFailedException(String message) {
        super(Kind.FAILURE, message, null);
    }

    /** A run that cannot start for a reason of its options (exit 2), such as a flag the engine cannot honour. */
    public RunFailedException(Kind kind, String message) {
        super(kind, message, null);
    }
}
