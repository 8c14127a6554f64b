package io.polyarch.ops;

import io.polyarch.layout.OciLayoutStore;
import io.polyarch.registry.Registries;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

/** Opens the store a {@link StoreRef} names: a registry repository or an OCI layout directory. */
public final class Stores implements AutoCloseable {
    private final Registries registries;

    public Stores(Registries registries) {
        this.registries = registries;
    }

    public Registries registries() {
        return registries;
    }

    /** {@code write} asks for push access, and creates a layout directory that does not exist yet. */
    public ContentStore open(StoreRef ref, boolean write) throws StoreException {
        return switch (ref) {
            case StoreRef.Registry r -> registries.open(r.reference(), write);
            case StoreRef.Layout l -> OciLayoutStore.open(l.dir(), write);
        };
    }

    @Override
    public void close() {
        registries.close();
    }
}
