package io.polyarch.git;

/** The source could not be read or cloned; the message names the repository and what to do. */
public final class GitException extends io.polyarch.error.PolyarchException {
    public GitException(String message) {
        super(Kind.USAGE, message, null);
    }
}
