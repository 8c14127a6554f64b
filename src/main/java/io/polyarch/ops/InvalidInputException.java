package io.polyarch.ops;

/** The user asked for something that cannot be done as asked: exit code 2. The message says what to change. */
public class InvalidInputException extends Exception {
    public InvalidInputException(String message) {
        super(message);
    }
}
