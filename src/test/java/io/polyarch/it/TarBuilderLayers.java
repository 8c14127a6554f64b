package io.polyarch.it;

import io.polyarch.testing.TarBuilder;

/** Extra layers of incompressible data, so copies move real bytes. */
final class TarBuilderLayers {
    private TarBuilderLayers() {
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new java.util.Random(seed).nextBytes(data);
        return TarBuilder.gzip(new TarBuilder().file("data/random-" + seed, data, 0644).tar());
    }
}
