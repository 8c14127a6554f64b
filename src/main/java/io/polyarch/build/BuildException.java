package io.polyarch.build;

/** A build or export failed; the message says which step and why (the last lines of the build log when there is one). */
public final class BuildException extends Exception {
    public BuildException(String message) {
        super(message);
    }

    public BuildException(String message, Throwable cause) {
        super(message, cause);
    }
}
