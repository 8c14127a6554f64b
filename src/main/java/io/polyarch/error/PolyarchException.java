package io.polyarch.error;

/**
 * The one checked base of polyarch's errors. Its {@link Kind} says whose fault it is, which is all a front end
 * needs to choose an exit code: {@link Kind#USAGE} (the config, a flag or a reference is wrong; exit 2) or
 * {@link Kind#FAILURE} (the work failed: a build, a registry, the network; exit 1). The message names the file,
 * field, reference or action at fault and never holds a secret. Anything that is not a PolyarchException (an
 * {@code IllegalArgumentException} included) is a programming error, reported as an internal one.
 */
public abstract class PolyarchException extends Exception {
    /** Whose fault, and the exit code that says so. */
    public enum Kind {
        USAGE(2), FAILURE(1);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;

    protected PolyarchException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
