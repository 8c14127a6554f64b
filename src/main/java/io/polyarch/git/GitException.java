package io.polyarch.git;

/** The source could not be read or cloned; the message names the repository and what to do. */
public final class GitException extends Exception {
    public GitException(String message) {
        super(message);
    }
}
