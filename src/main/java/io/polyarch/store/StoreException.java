package io.polyarch.store;

/**
 * A content store operation failed. {@link #action()} says what was being done
 * ("push blob sha256:… to localhost:5000/app"); {@link #retryable()} whether trying again may help.
 * Messages never contain credentials.
 */
public class StoreException extends io.polyarch.error.PolyarchException {
    private final String action;
    private final boolean retryable;

    public StoreException(String action, String message, boolean retryable, Throwable cause) {
        super(Kind.FAILURE, action == null ? message : action + ": " + message, cause);
        this.action = action;
        this.retryable = retryable;
    }

    public StoreException(String action, String message) {
        this(action, message, false, null);
    }

    public String action() {
        return action;
    }

    public boolean retryable() {
        return retryable;
    }
}
