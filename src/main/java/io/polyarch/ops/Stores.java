package io.polyarch.ops;

import io.polyarch.layout.OciLayoutStore;
import io.polyarch.registry.Registries;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

/**
 * Opens the store a {@link StoreRef} names: a registry repository or an OCI layout directory. An interface so that
 * whatever drives a pipeline can be given other stores (a test: registry repositories kept as layout directories).
 */
public interface Stores extends AutoCloseable {
    /** {@code write} asks for push access, and creates a layout directory that does not exist yet. */
    ContentStore open(StoreRef ref, boolean write) throws StoreException;

    /** True when this registry ({@code host[:port]}) is reached over plain HTTP (loopback, or named insecure). */
    boolean plainHttp(String registry);

    @Override
    void close();

    /** Registries through polyarch's client, layouts on this machine's disk. */
    static Stores of(Registries registries) {
        return new Stores() {
            @Override
            public ContentStore open(StoreRef ref, boolean write) throws StoreException {
                return switch (ref) {
                    case StoreRef.Registry r -> registries.open(r.reference(), write);
                    case StoreRef.Layout l -> OciLayoutStore.open(l.dir(), write);
                };
            }

            @Override
            public boolean plainHttp(String registry) {
                return registries.options().insecure(registry);
            }

            @Override
            public void close() {
                registries.close();
            }
        };
    }
}
