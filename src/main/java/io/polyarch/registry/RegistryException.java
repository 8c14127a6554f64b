package io.polyarch.registry;

import io.polyarch.store.StoreException;

/**
 * A registry answered with an error. Carries the HTTP status and the distribution spec's error code
 * ({@code MANIFEST_UNKNOWN}, {@code DENIED}, …) from the body, which is read capped and redacted.
 */
public class RegistryException extends StoreException {
    private final int status;
    private final String code;

    public RegistryException(String action, int status, String code, String message, boolean retryable) {
        super(action, message, retryable, null);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
