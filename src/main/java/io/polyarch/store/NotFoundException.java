package io.polyarch.store;

/** The named manifest, blob or repository does not exist. */
public class NotFoundException extends StoreException {
    public NotFoundException(String action, String message) {
        super(action, message, false, null);
    }
}
