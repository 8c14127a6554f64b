package io.polyarch.build;

/** A build or export failed; the message says which step and why (the last lines of the build log when there is one). */
public final class BuildException extends io.polyarch.error.PolyarchException {
    public BuildException(String message) {
        super(Kind.FAILURE, message, null);
    }

    public BuildException(String message, Throwable cause) {
        super(Kind.FAILURE, message, cause);
    }
}
