package io.polyarch.ops;

/** An artifact failed a check before anything was published (a child's config disagrees with its platform): exit 1. */
public class ValidationException extends io.polyarch.error.PolyarchException {
    public ValidationException(String message) {
        super(Kind.FAILURE, message, null);
    }
}
