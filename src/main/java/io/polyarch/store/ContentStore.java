package io.polyarch.store;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.RawManifest;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * One repository's content: blobs, manifests, tags and referrers. A registry repository and an OCI image
 * layout directory both implement it, so copy and index creation never care which they talk to
 * (regclient's {@code scheme.API} behind {@code reg} and {@code ocidir}).
 * <p>
 * Every method throws {@link StoreException} (checked) for failures of the store itself; a missing
 * manifest or blob is an empty Optional or {@link NotFoundException}, so callers can name it.
 */
public interface ContentStore extends AutoCloseable {

    /** Where this store lives, for messages: {@code localhost:5000/app} or {@code oci:/tmp/out}. */
    String describe();

    /** Size and digest of a blob if present. */
    Optional<Descriptor> statBlob(Digest digest) throws StoreException;

    /**
     * Opens a blob for reading. The stream verifies the digest and size as it is read and throws
     * {@link DigestMismatchException} at its end when they differ.
     */
    InputStream openBlob(Descriptor descriptor) throws StoreException;

    /** Writes a blob whose content the source supplies; a blob already present is not written again. */
    void putBlob(Descriptor descriptor, BlobSource source) throws StoreException;

    /**
     * Starts an upload whose digest is known only at its end (see {@link BlobUpload}); empty where this store has
     * no such thing or could not open one: the blob is then written with {@link #putBlob} once it is complete.
     */
    default Optional<BlobUpload> startUpload() {
        return Optional.empty();
    }

    /** A manifest by tag or digest, with its raw bytes; empty when absent. */
    Optional<RawManifest> getManifest(String tagOrDigest) throws StoreException;

    /** The descriptor of a manifest by tag or digest without its body; empty when absent. */
    Optional<Descriptor> headManifest(String tagOrDigest) throws StoreException;

    /** Stores a manifest by digest, and under {@code tag} when it is not null. */
    void putManifest(RawManifest manifest, String tag) throws StoreException;

    /**
     * Points {@code tag} at the manifest unless it already does, so that a re-run writes nothing and a registry with
     * immutable tags accepts it; true when the tag was written.
     */
    default boolean tag(RawManifest manifest, String tag) throws StoreException {
        Optional<Descriptor> now = headManifest(tag);
        if (now.isPresent() && now.get().digest().equals(manifest.digest())) return false;
        putManifest(manifest, tag);
        return true;
    }

    void deleteManifest(String tagOrDigest) throws StoreException;

    List<String> listTags() throws StoreException;

    /** Manifests whose subject is the given digest (OCI 1.1 referrers, with the tag-schema fallback). */
    List<Descriptor> referrers(Digest subject) throws StoreException;

    @Override
    default void close() {
    }

    /** A re-openable source of a blob's bytes, so an interrupted upload can start again. */
    @FunctionalInterface
    interface BlobSource {
        InputStream open() throws StoreException, IOException;
    }
}
