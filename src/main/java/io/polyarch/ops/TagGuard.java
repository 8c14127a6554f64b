package io.polyarch.ops;

import io.polyarch.oci.RawManifest;
import io.polyarch.store.StoreException;

import java.util.Optional;

/**
 * Asked before a tag that names another manifest is moved: why it must stay where it is (for example, it names the
 * index of a newer commit, which a late run of an older one must not replace), or empty to move it.
 */
@FunctionalInterface
public interface TagGuard {
    TagGuard NONE = (tag, current) -> Optional.empty();

    Optional<String> keep(String tag, RawManifest current) throws StoreException;
}
