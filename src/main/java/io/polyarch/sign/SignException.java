package io.polyarch.sign;

import io.polyarch.error.PolyarchException;

/** Signing or verifying failed: a key that does not open (usage, exit 2), or a signer or registry that refused (exit 1). */
public final class SignException extends PolyarchException {
    public SignException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }

    public static SignException usage(String message) {
        return new SignException(Kind.USAGE, message, null);
    }

    public static SignException failure(String message, Throwable cause) {
        return new SignException(Kind.FAILURE, message, cause);
    }
}
