package io.polyarch.aws;

/**
 * An AWS step failed, with what to do about it. {@code usage} marks problems of set-up (no credentials, no region,
 * a config that names another account or region) that the user fixes before running again (exit 2).
 */
public final class AwsException extends io.polyarch.error.PolyarchException {
    public AwsException(String message, boolean usage, Throwable cause) {
        super(usage ? Kind.USAGE : Kind.FAILURE, message, cause);
    }

    public boolean usage() {
        return kind() == Kind.USAGE;
    }
}
