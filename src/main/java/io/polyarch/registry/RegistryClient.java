package io.polyarch.registry;

import io.polyarch.registry.http.Request;
import io.polyarch.registry.http.Response;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.auth.AuthTransport;
import io.polyarch.store.BlobUpload;
import io.polyarch.store.ContentStore;
import io.polyarch.store.DigestMismatchException;
import io.polyarch.store.NotFoundException;
import io.polyarch.store.SizeLimitedInputStream;
import io.polyarch.store.StoreException;
import io.polyarch.store.VerifyingInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One repository of an OCI distribution registry as a {@link ContentStore}
 * (<a href="https://github.com/opencontainers/distribution-spec/blob/main/spec.md">distribution-spec</a>).
 * Blobs stream through verification; manifests keep their raw bytes; uploads that fail half-way are
 * started again from a new session.
 */
public final class RegistryClient implements ContentStore {
    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private final Reference repo;
    private final URI base;
    private final RegistryOptions options;
    private final RegistryCalls calls;

    RegistryClient(Reference repo, URI base, AuthTransport transport, RegistryOptions options) {
        this.repo = repo.repositoryOnly();
        this.base = base;
        this.options = options;
        this.calls = new RegistryCalls(this.repo, base, transport, options);
    }

    public Reference reference() {
        return repo;
    }

    @Override
    public String describe() {
        return repo.name();
    }

    private URI url(String path) {
        return base.resolve("/v2/" + repo.repository() + path);
    }

    // ---- blobs ----

    @Override
    public Optional<Descriptor> statBlob(Digest digest) throws StoreException {
        String action = "check blob " + digest.shortHex() + " in " + repo.name();
        try (Response r = send(Request.head(url("/blobs/" + digest)), action, true)) {
            if (r.status() == 404) return Optional.empty();
            if (!r.ok()) throw error(action, r);
            long size = r.contentLength();
            if (size < -1) throw new RegistryException(action, r.status(), null, "the registry sent a Content-Length that is not a size", false);
            return Optional.of(Descriptor.of(MediaType.of("application/octet-stream"), digest, size));
        }
    }

    @Override
    public InputStream openBlob(Descriptor d) throws StoreException {
        String action = "pull blob " + d.digest() + " from " + repo.name();
        return new VerifyingInputStream(getBlob(d, action).body(), d.digest(), d.size(), action);
    }

    private Response getBlob(Descriptor d, String action) throws StoreException {
        Response r = send(Request.get(url("/blobs/" + d.digest())), action, true);
        if (r.status() == 404) {
            r.close();
            throw new NotFoundException(action, "blob not found in " + repo.name());
        }
        if (!r.ok()) throw error(action, r);
        return r;
    }

    /**
     * Opens a blob for streaming straight into another registry, without hashing it here: the destination
     * registry computes the digest of what it receives and refuses a mismatch ({@code DIGEST_INVALID}, as the
     * distribution spec requires), so hashing it twice only costs CPU. The size is still enforced.
     */
    public InputStream openBlobForRegistryCopy(Descriptor d) throws StoreException {
        String action = "pull blob " + d.digest() + " from " + repo.name();
        return new SizeLimitedInputStream(getBlob(d, action).body(), d.size(), action);
    }

    /**
     * Tries a cross-repository mount (a registry-side link, no bytes moved). Returns true when the
     * registry mounted it; false when it fell back to an ordinary upload, which is then cancelled.
     */
    public boolean mount(Digest digest, Reference from) throws StoreException {
        if (!from.registry().equals(repo.registry()) || from.repository().equals(repo.repository())) return false;
        calls.addScope("repository:" + from.repository() + ":pull");
        String action = "mount blob " + digest.shortHex() + " from " + from.repository() + " into " + repo.name();
        URI u = url("/blobs/uploads/?mount=" + digest + "&from=" + enc(from.repository()));
        // safe to send again (idempotent in effect): a second mount mounts the same blob, or opens a session we abandon
        try (Response r = send(new Request("POST", u, Map.of(), null, true), action, false)) {
            if (r.status() == 201) return true;
            if (r.status() == 202) {
                // the registry opened an upload instead; abandon it rather than leave it dangling
                r.header("Location").ifPresent(loc -> {
                    try (Response ignored = send(new Request("DELETE", resolve(loc), Map.of(), null, true), action, false)) {
                        // best effort
                    } catch (StoreException ignored) {
                        // an orphaned upload session expires on its own
                    }
                });
                return false;
            }
            throw error(action, r);
        }
    }

    /**
     * Uploads of one blob to this repository under way: a second push of the same digest (two platforms' SOCI
     * indexes share their empty config) waits for the first instead of racing it. Two concurrent uploads of one
     * digest left distribution 2.8 without the blob now and then (the manifest naming it refused as
     * MANIFEST_BLOB_UNKNOWN).
     */
    private final java.util.concurrent.ConcurrentHashMap<Digest, java.util.concurrent.CompletableFuture<Void>> uploading =
            new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void putBlob(Descriptor d, BlobSource source) throws StoreException {
        var mine = new java.util.concurrent.CompletableFuture<Void>();
        var theirs = uploading.putIfAbsent(d.digest(), mine);
        if (theirs != null) {
            try {
                theirs.join();
                return;
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException failed) {
                // the other push failed: this one tries on its own
            }
        }
        try {
            putBlobOnce(d, source);
            mine.complete(null);
        } catch (StoreException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            uploading.remove(d.digest(), mine);
        }
    }

    private void putBlobOnce(Descriptor d, BlobSource source) throws StoreException {
        String action = "push blob " + d.digest() + " to " + repo.name();
        if (statBlob(d.digest()).isPresent()) return;
        int attempt = 1;
        while (true) {
            try {
                upload(d, source, action);
                return;
            } catch (StoreException e) {
                if (!e.retryable() || attempt >= options.retry().maxAttempts()) throw e;
            }
            calls.pause(attempt, action);
            attempt++;
        }
    }

    private void upload(Descriptor d, BlobSource source, String action) throws StoreException {
        URI location;
        // opening a session is safe to send again: one that is never used expires on the registry
        try (Response r = send(new Request("POST", url("/blobs/uploads/"), Map.of(), null, true), action, false)) {
            if (r.status() != 202) throw error(action, r);
            location = resolve(r.header("Location").orElseThrow(() ->
                    new RegistryException(action, 202, null, "registry opened an upload without a Location header", false)));
        }
        long chunk = options.chunkSize();
        if (chunk > 0 && d.size() > chunk) {
            location = uploadChunks(d, source, location, chunk, action);
            putUpload(location, d, null, action);
            return;
        }
        Request.Body body = new Request.Body() {
            @Override
            public long length() {
                return d.size();
            }

            @Override
            public InputStream open() throws IOException {
                try {
                    return source.open();
                } catch (StoreException e) {
                    throw new IOException(e);
                }
            }
        };
        putUpload(location, d, body, action);
    }

    private URI uploadChunks(Descriptor d, BlobSource source, URI location, long chunk, String action) throws StoreException {
        try (InputStream in = source.open()) {
            long offset = 0;
            while (offset < d.size()) {
                byte[] buf = in.readNBytes((int) Math.min(chunk, d.size() - offset));
                if (buf.length == 0) throw new StoreException(action, "source ended after " + offset + " of " + d.size() + " bytes", true, null);
                Request patch = new Request("PATCH", location, Map.of(
                        "Content-Type", List.of("application/octet-stream"),
                        "Content-Range", List.of(offset + "-" + (offset + buf.length - 1))), Request.Body.of(buf), false);
                try (Response r = send(patch, action, false)) {
                    if (r.status() != 202) throw error(action, r);
                    location = resolve(r.header("Location").orElse(location.toString()));
                }
                offset += buf.length;
            }
            return location;
        } catch (IOException e) {
            throw ioError(action, e);
        }
    }

    private void putUpload(URI location, Descriptor d, Request.Body body, String action) throws StoreException {
        calls.putUpload(location, d, body, action);
    }

    // ---- streamed uploads ----

    @Override
    public Optional<BlobUpload> startUpload() {
        try (Response r = send(new Request("POST", url("/blobs/uploads/"), Map.of(), null, false), "start an upload to " + repo.name(), false)) {
            if (r.status() != 202 || r.header("Location").isEmpty()) return Optional.empty();
            return Optional.of(new StreamingUpload(calls, resolve(r.header("Location").get())));
        } catch (StoreException e) {
            return Optional.empty();
        }
    }

    // ---- manifests ----

    @Override
    public Optional<RawManifest> getManifest(String ref) throws StoreException {
        String action = "get manifest " + repo.name() + (ref.startsWith("sha256:") ? "@" : ":") + ref;
        Request req = Request.get(url("/manifests/" + ref)).withHeader("Accept", MediaType.MANIFEST_ACCEPT);
        return calls.read(req, action, r -> {
            if (r.status() == 404) return Optional.<RawManifest>empty();
            if (!r.ok()) throw error(action, r);
            byte[] body = r.readBody(options.maxManifestBytes());
            if (body == null) {
                throw new RegistryException(action, r.status(), null, "manifest larger than " + options.maxManifestBytes() + " bytes; refusing it", false);
            }
            MediaType declared = r.header("Content-Type").map(MediaType::of).orElse(null);
            MediaType mt;
            try {
                mt = OciJson.detectMediaType(body, declared);
            } catch (IllegalArgumentException e) {
                throw new StoreException(action, e.getMessage());
            }
            RawManifest m = RawManifest.of(mt, body);
            if (ref.contains(":") && !m.digest().toString().equals(ref)) {
                throw new DigestMismatchException(action, Digest.parse(ref), m.digest().toString());
            }
            return Optional.of(m);
        });
    }

    @Override
    public Optional<Descriptor> headManifest(String ref) throws StoreException {
        String action = "check manifest " + repo.name() + (ref.startsWith("sha256:") ? "@" : ":") + ref;
        Request req = Request.head(url("/manifests/" + ref)).withHeader("Accept", MediaType.MANIFEST_ACCEPT);
        try (Response r = send(req, action, true)) {
            if (r.status() == 404) return Optional.empty();
            if (!r.ok()) throw error(action, r);
            Optional<String> digest = r.header("Docker-Content-Digest");
            Optional<String> type = r.header("Content-Type");
            Optional<String> length = r.header("Content-Length");
            if (digest.isPresent() && type.isPresent() && length.isPresent()) {
                long size = Response.parseLength(length.get());
                if (size < 0) throw new RegistryException(action, r.status(), null, "the registry sent a Content-Length that is not a size", false);
                return Optional.of(Descriptor.of(MediaType.of(type.get()), Digest.parse(digest.get()), size));
            }
        }
        // some registries omit the digest on HEAD: fall back to reading the manifest
        return getManifest(ref).map(RawManifest::descriptor);
    }

    @Override
    public void putManifest(RawManifest m, String tag) throws StoreException {
        String ref = tag != null ? tag : m.digest().toString();
        String action = "push manifest " + repo.name() + (tag != null ? ":" + tag : "@" + m.digest());
        Request req = new Request("PUT", url("/manifests/" + ref),
                Map.of("Content-Type", List.of(m.mediaType().value())), Request.Body.of(m.bytes()), true);
        boolean apiKnowsSubject;
        try (Response r = send(req, action, false)) {
            if (r.status() != 201 && r.status() != 200 && r.status() != 202) throw error(action, r);
            Optional<String> got = r.header("Docker-Content-Digest");
            if (got.isPresent() && !got.get().equals(m.digest().toString())) {
                throw new DigestMismatchException(action, m.digest(), got.get() + " (as computed by the registry)");
            }
            apiKnowsSubject = r.header("OCI-Subject").isPresent();
        }
        // a registry with the referrers API says so with OCI-Subject; otherwise the client keeps the fallback tag
        Descriptor subject = subjectOf(m);
        if (subject != null && !apiKnowsSubject) addToReferrersTag(subject.digest(), m.asReferrer());
    }

    private static Descriptor subjectOf(RawManifest m) {
        try {
            return m.subject();
        } catch (IllegalArgumentException | ClassCastException notOurs) {
            return null; // a manifest we cannot model is pushed as it is; it cannot be a referrer we know of
        }
    }

    /**
     * The referrers tag schema for registries without the API (distribution-spec, "Pushing Manifests with Subject"):
     * the index under {@code <alg>-<hex>} of the subject lists every referrer; this one is added unless already there.
     */
    private void addToReferrersTag(Digest subject, Descriptor referrer) throws StoreException {
        String tag = referrersTag(subject);
        List<Descriptor> entries = new ArrayList<>();
        Optional<RawManifest> existing = getManifest(tag);
        if (existing.isPresent() && parsed(existing.get(), "the referrers tag " + tag) instanceof ImageIndex i) entries.addAll(i.manifests());
        if (entries.stream().anyMatch(d -> d.digest().equals(referrer.digest()))) return;
        entries.add(referrer);
        ImageIndex index = new ImageIndex(MediaType.OCI_INDEX, entries, null, null, Map.of());
        putManifest(RawManifest.of(MediaType.OCI_INDEX, OciJson.write(index)), tag);
    }

    @Override
    public void deleteManifest(String ref) throws StoreException {
        String digest = ref;
        if (!ref.startsWith("sha256:")) {
            digest = headManifest(ref).orElseThrow(() -> new NotFoundException("delete " + repo.name() + ":" + ref, "no such tag"))
                    .digest().toString();
        }
        String action = "delete manifest " + repo.name() + "@" + digest;
        try (Response r = send(new Request("DELETE", url("/manifests/" + digest), Map.of(), null, true), action, false)) {
            if (r.status() == 404) throw new NotFoundException(action, "no such manifest");
            if (!r.ok()) throw error(action, r);
        }
    }

    @Override
    public List<String> listTags() throws StoreException {
        String action = "list tags of " + repo.name();
        List<String> tags = new ArrayList<>();
        URI next = url("/tags/list?n=1000");
        for (int page = 0; next != null && page < 10_000; page++) {
            Optional<URI> following = calls.read(Request.get(next), action, r -> {
                if (r.status() == 404) return null;
                if (!r.ok()) throw error(action, r);
                byte[] body = r.readBody(16 << 20);
                if (body == null) throw new StoreException(action, "tag list page over 16 MiB");
                try {
                    for (JsonNode t : OciJson.readTree(body, "tag list").path("tags")) tags.add(t.asText());
                } catch (IllegalArgumentException e) {
                    throw new StoreException(action, e.getMessage(), false, e);
                }
                URI link = null;
                for (String l : r.headerValues("Link")) {
                    Matcher m = LINK_NEXT.matcher(l);
                    if (m.find()) link = resolve(m.group(1));
                }
                return Optional.ofNullable(link);
            });
            if (following == null) return List.of();
            next = following.orElse(null);
        }
        return tags;
    }

    /**
     * OCI 1.1 referrers API; where the registry lacks it (distribution 2.8 answers 404), the tag schema
     * fallback {@code sha256-<hex>} holding an index of referrers.
     */
    @Override
    public List<Descriptor> referrers(Digest subject) throws StoreException {
        String action = "list referrers of " + subject.shortHex() + " in " + repo.name();
        Request req = Request.get(url("/referrers/" + subject)).withHeader("Accept", MediaType.OCI_INDEX.value());
        Optional<List<Descriptor>> listed = calls.read(req, action, r -> {
            boolean isIndex = r.header("Content-Type").map(ct -> MediaType.of(ct).equals(MediaType.OCI_INDEX)).orElse(false);
            if (r.ok() && isIndex) {
                byte[] body = r.readBody(options.maxManifestBytes());
                if (body == null) throw new StoreException(action, "referrers list too large");
                try {
                    return Optional.of(((ImageIndex) OciJson.parseManifest(MediaType.OCI_INDEX, body)).manifests());
                } catch (IllegalArgumentException | ClassCastException e) {
                    throw new StoreException(action, "the registry's referrers list is not an image index");
                }
            }
            if (r.ok() || r.status() == 404 || r.status() == 405) return Optional.empty();
            throw error(action, r);
        });
        if (listed.isPresent()) return listed.get();
        Optional<RawManifest> m = getManifest(referrersTag(subject));
        if (m.isEmpty()) return List.of();
        return parsed(m.get(), "the referrers tag " + referrersTag(subject)) instanceof ImageIndex i ? i.manifests() : List.of();
    }

    /** The referrers tag schema: {@code <alg>-<hex>} (distribution-spec, "Referrers Tag Schema"). */
    public static String referrersTag(Digest d) {
        return d.algorithm() + "-" + d.hex();
    }

    /** A manifest the registry sent, parsed; one that is not a manifest is the registry's failure, named. */
    private io.polyarch.oci.Manifest parsed(RawManifest m, String what) throws StoreException {
        try {
            return m.parse();
        } catch (IllegalArgumentException e) {
            throw new StoreException("read " + what + " in " + repo.name(), "not a valid manifest: " + e.getMessage());
        }
    }

    // ---- plumbing: one seam for every call of this repository ----

    private URI resolve(String location) {
        return calls.resolve(location);
    }

    private Response send(Request req, String action, boolean followRedirects) throws StoreException {
        return calls.send(req, action, followRedirects);
    }

    RegistryException error(String action, Response r) {
        return calls.error(action, r);
    }

    static StoreException ioError(String action, IOException e) {
        return RegistryCalls.ioError(action, e);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
