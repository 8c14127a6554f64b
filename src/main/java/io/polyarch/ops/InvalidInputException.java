package io.polyarch.ops;

/** The user asked for something that cannot be done as asked: exit code 2. The message says what to change. */
public class InvalidInputException extends io.polyarch.error.PolyarchException {
    public InvalidInputException(String message) {
        super(Kind.USAGE, message, null);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(Kind.USAGE, message, cause);
    }
}
