package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.NotFoundException;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.io.InputStream;

/** Small reads every facade needs: a manifest that must exist, an image's config. */
public final class Images {
    private Images() {
    }

    /** The manifest named, or an error that names the reference and the store. */
    public static RawManifest require(ContentStore store, String ref, String what) throws StoreException {
        return store.getManifest(ref).orElseThrow(() -> new NotFoundException(
                "read " + what, "manifest " + ref + " not found in " + store.describe()));
    }

    public static Manifest parse(RawManifest m, String what) throws StoreException {
        try {
            return m.parse();
        } catch (IllegalArgumentException e) {
            throw new StoreException("parse " + what, e.getMessage());
        }
    }

    public static ImageManifest requireImage(ContentStore store, Descriptor d, String what) throws StoreException {
        Manifest m = parse(require(store, d.digest().toString(), what), what);
        if (!(m instanceof ImageManifest im)) {
            throw new StoreException("read " + what, d.digest() + " is an index, where an image manifest was expected");
        }
        return im;
    }

    /** Reads of a small blob whose body broke off (a dropped connection) are sent again this many times in all. */
    static final int READ_ATTEMPTS = 4;

    /** Reads a config blob (small by nature: capped at 8 MiB), again when the connection drops in its body. */
    public static ImageConfig config(ContentStore store, ImageManifest m) throws StoreException {
        if (m.config().size() > 8 << 20) throw new StoreException("read config " + m.config().digest(), "config over 8 MiB");
        for (int attempt = 1; ; attempt++) {
            try (InputStream in = store.openBlob(m.config())) {
                return OciJson.parseConfig(in.readAllBytes());
            } catch (IOException e) {
                if (e.getCause() instanceof StoreException se) throw se;
                if (attempt >= READ_ATTEMPTS) {
                    throw new StoreException("read config " + m.config().digest() + " from " + store.describe(), e.getMessage(), true, e);
                }
            } catch (IllegalArgumentException e) {
                throw new StoreException("read config " + m.config().digest() + " from " + store.describe(), e.getMessage());
            }
            try {
                Thread.sleep(100L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("read config " + m.config().digest(), "interrupted");
            }
        }
    }
}
