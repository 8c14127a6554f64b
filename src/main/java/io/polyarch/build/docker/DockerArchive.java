package io.polyarch.build.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.build.BuildException;
import io.polyarch.build.BuildOutput;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.BlobUpload;
import io.polyarch.store.StoreException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Turns the tar stream of {@code docker save} (the classic layout with {@code manifest.json}, or the OCI layout
 * newer engines write) into an image in an OCI layout directory, in one pass: each layer is hashed (its diff_id)
 * and gzip-compressed ({@link AdaptiveGzip}) straight into the layout as it streams by; small entries (config,
 * manifest.json) are kept in memory. The config is kept byte for byte, and each layer is checked against the
 * config's {@code diff_ids}.
 */
public final class DockerArchive {
    /** Entries up to this size are kept in memory; configs and manifests are far smaller. */
    static final long SMALL = 1 << 20;
    /** All of them together: a real image has a few kilobytes of configs and manifests, and some small layers. */
    static final long SMALL_TOTAL = 256L << 20;

    private DockerArchive() {
    }

    private record Layer(Digest diffId, Descriptor compressed) {
    }

    public static RawManifest importTo(InputStream tarStream, OciLayoutStore out, boolean oci) throws IOException, BuildException {
        return importTo(tarStream, out, oci, Optional::empty, Map::of, note -> {
        });
    }

    /**
     * As {@link #importTo(InputStream, OciLayoutStore, boolean)}, and the image's top layer (the one the build made
     * last, so the one least likely to be in the registry already) is also streamed to {@code upload} as it is
     * compressed, so the registry has it when the import ends. The classic archive says which layer is the top one
     * before its bytes come (its per-layer {@code json}, which comes first, carries the image config); lower layers
     * are usually the base image's and unchanged, and are left to the push, which skips blobs already there. BuildKit's
     * uncompressed OCI archive names each layer by its diff_id, so every layer the base lacks is streamed.
     *
     * <p>Lower layers whose diff_id is in {@code known} (the base image's layers) are hashed, not compressed: the
     * manifest names the base's own compressed blob, as {@code docker push} does, so the image shares those blobs
     * with its base in the registry and the push mounts or copies them instead of uploading a second compression.
     * Until its digest is known such a layer is spooled to a file; one that turns out not to be known is
     * compressed from there on another thread while the archive is read on.
     *
     * @param upload opens a streamed upload to the destination, or gives none
     * @param known  the base image's layers: diff_id to its gzip blob; asked once, when the first lower layer comes
     * @param notes  what happened to the streamed upload, for the build log
     */
    public static RawManifest importTo(InputStream tarStream, OciLayoutStore out, boolean oci, Supplier<Optional<BlobUpload>> upload,
                                       Supplier<Map<Digest, Descriptor>> known, Consumer<String> notes) throws IOException, BuildException {
        TarReader tar = new TarReader(tarStream);
        try (Reading r = new Reading(out, oci, upload, known, notes)) {
            TarReader.Entry e;
            while ((e = tar.next()) != null) {
                if (e.isFile()) r.entry(normalize(e.name()), e.size(), tar.content());
            }
            return r.finish();
        }
    }

    /**
     * As {@link #importTo(InputStream, OciLayoutStore, boolean, Supplier, Supplier, Consumer)}, from the OCI layout
     * directory BuildKit's exporter writes with {@code tar=false}: its regular files only (a link there is refused),
     * each read once.
     */
    public static RawManifest importLayout(Path dir, OciLayoutStore out, boolean oci, Supplier<Optional<BlobUpload>> upload,
                                           Supplier<Map<Digest, Descriptor>> known, Consumer<String> notes) throws IOException, BuildException {
        List<Path> files = new ArrayList<>();
        for (String top : List.of("index.json", "oci-layout")) {
            Path f = dir.resolve(top);
            if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) files.add(f);
        }
        Path blobs = dir.resolve("blobs").resolve("sha256");
        if (Files.isDirectory(blobs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var list = Files.list(blobs)) {
                for (Path f : list.sorted().toList()) {
                    if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new BuildException("the image BuildKit wrote to " + dir + " has " + dir.relativize(f) + ", which is not a regular file");
                    }
                    files.add(f);
                }
            }
        }
        try (Reading r = new Reading(out, oci, upload, known, notes)) {
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    r.entry(dir.relativize(f).toString().replace('\\', '/'), Files.size(f), in);
                }
            }
            return r.finish();
        }
    }

    /** One import: the archive's entries, one after the other, then the image they make. */
    private static final class Reading implements AutoCloseable {
        private final OciLayoutStore out;
        private final boolean oci;
        private final MediaType layerType;
        private final Supplier<Optional<BlobUpload>> upload;
        private final Consumer<String> notes;
        private final Map<String, byte[]> small = new HashMap<>();
        private final Map<String, Layer> layers = new HashMap<>();
        private final Lower lower;
        private String topLayer;
        private long smallBytes;

        Reading(OciLayoutStore out, boolean oci, Supplier<Optional<BlobUpload>> upload, Supplier<Map<Digest, Descriptor>> known, Consumer<String> notes) {
            this.out = out;
            this.oci = oci;
            this.layerType = oci ? MediaType.OCI_LAYER_GZIP : MediaType.DOCKER_LAYER_GZIP;
            this.upload = upload;
            this.notes = notes;
            this.lower = new Lower(out, layerType, known);
        }

        void entry(String name, long size, InputStream content) throws IOException, BuildException {
            try {
                if (size <= SMALL) {
                    smallBytes += size;
                    if (smallBytes > SMALL_TOTAL) {
                        throw new BuildException("the saved image has more than " + SMALL_TOTAL + " bytes of small entries (configs, manifests, "
                                + "small layers), which are kept in memory: refused; is this an image archive?");
                    }
                    byte[] bytes = content.readAllBytes();
                    small.put(name, bytes);
                    if (name.endsWith("/json") && isTopLayerJson(bytes)) topLayer = name.substring(0, name.length() - "json".length()) + "layer.tar";
                } else if (name.equals(topLayer)) {
                    layers.put(name, compressAndStream(content, out, layerType, upload, notes));
                } else if (blobDigest(name) != null) {
                    // an OCI archive: a blob under its digest; the containerd image store's layers come compressed already,
                    // BuildKit's OCI exporter's uncompressed (their digest is then their diff_id, known before their bytes)
                    lower.addBlob(name, blobDigest(name), content, upload, notes);
                } else {
                    lower.add(name, content);
                }
            } catch (StoreException ex) {
                throw new BuildException("cannot store the built image: " + ex.getMessage(), ex);
            }
        }

        RawManifest finish() throws IOException, BuildException {
            try {
                layers.putAll(lower.finish());
                SavedImage image = SavedImage.of(small);
                byte[] configBytes = small.get(image.config());
                if (configBytes == null) throw new BuildException("the saved image lacks its config " + image.config());
                JsonNode cfg = OciJson.readTree(configBytes, "image config");
                List<String> diffIds = new ArrayList<>();
                cfg.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
                List<String> names = image.layers();
                if (names.size() != diffIds.size()) {
                    throw new BuildException("the saved image lists " + names.size() + " layers but the config has " + diffIds.size() + " diff_ids");
                }
                List<Descriptor> descs = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    String n = names.get(i);
                    Layer l = layers.get(n);
                    if (l == null && small.containsKey(n)) l = lower.small(small.get(n), blobDigest(n));
                    if (l == null) throw new BuildException("docker save archive lacks layer " + n);
                    if (!l.diffId().toString().equals(diffIds.get(i))) {
                        throw new BuildException("layer " + i + " of the saved image has digest " + l.diffId() + " but the config says " + diffIds.get(i));
                    }
                    descs.add(l.compressed());
                }
                Descriptor configDesc = Descriptor.of(oci ? MediaType.OCI_CONFIG : MediaType.DOCKER_CONFIG, configBytes);
                out.putBlob(configDesc, () -> new ByteArrayInputStream(configBytes));
                MediaType type = oci ? MediaType.OCI_MANIFEST : MediaType.DOCKER_MANIFEST;
                RawManifest rm = RawManifest.of(type, OciJson.write(new ImageManifest(type, configDesc, descs, null, null, null)));
                out.putManifest(rm, BuildOutput.TAG);
                return rm;
            } catch (StoreException ex) {
                throw new BuildException("cannot store the built image: " + ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {
            lower.close();
        }
    }

    /** The layers below the top one: taken from the base image when it has them, else compressed. */
    private static final class Lower implements AutoCloseable {
        private final OciLayoutStore out;
        private final MediaType type;
        private final Supplier<Map<Digest, Descriptor>> knownSource;
        private Map<Digest, Descriptor> known;
        private final Map<String, java.util.concurrent.Future<Layer>> pending = new HashMap<>();
        private final Map<String, Layer> done = new HashMap<>();
        private java.util.concurrent.ExecutorService compressor;

        Lower(OciLayoutStore out, MediaType type, Supplier<Map<Digest, Descriptor>> known) {
            this.out = out;
            this.type = type;
            this.knownSource = known;
        }

        private Map<Digest, Descriptor> known() {
            if (known == null) {
                Map<Digest, Descriptor> k = new HashMap<>();
                knownSource.get().forEach((diffId, d) -> {
                    // the same gzip bytes under either name; anything else (zstd, foreign layers with URLs) is compressed here
                    boolean gzip = d.mediaType().equals(MediaType.OCI_LAYER_GZIP) || d.mediaType().equals(MediaType.DOCKER_LAYER_GZIP);
                    if (gzip && d.urls().isEmpty()) k.put(diffId, Descriptor.of(type, d.digest(), d.size()));
                });
                known = k;
            }
            return known;
        }

        void add(String name, InputStream in) throws IOException, StoreException {
            if (known().isEmpty()) {
                done.put(name, compress(in, out, type));
                return;
            }
            Path spool = Files.createTempFile(out.dir(), ".spool", "");
            try {
                MessageDigest md = Digest.newSha256();
                try (OutputStream f = Files.newOutputStream(spool)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                        f.write(buf, 0, n);
                    }
                }
                Digest diffId = Digest.ofSha256(md);
                Descriptor base = known.get(diffId);
                if (base != null) {
                    done.put(name, new Layer(diffId, base));
                    Files.delete(spool);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(spool);
                throw e;
            }
            if (compressor == null) {
                compressor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("layer-compress").unstarted(r));
            }
            pending.put(name, compressor.submit(() -> {
                try (InputStream f = Files.newInputStream(spool)) {
                    return compress(f, out, type);
                } finally {
                    Files.deleteIfExists(spool);
                }
            }));
        }

        /** A layer small enough to have been kept in memory; {@code blob} its digest when the archive names it by one. */
        Layer small(byte[] content, Digest blob) throws IOException, StoreException {
            Compression c = blob == null ? Compression.NONE : Compression.of(content);
            if (c != Compression.NONE) return addCompressed(blob, c, new ByteArrayInputStream(content));
            Digest diffId = Digest.sha256(content);
            Descriptor base = known().get(diffId);
            return base != null ? new Layer(diffId, base) : compress(new ByteArrayInputStream(content), out, type);
        }

        /**
         * A blob of an OCI archive, named by its digest. A layer compressed already (the containerd image store keeps
         * layers as pushed or pulled) is kept as it is: stored byte for byte while it is inflated once for its diff_id,
         * or, when the base image has that very blob, not stored at all. An uncompressed one (BuildKit's OCI exporter
         * with {@code compression=uncompressed}) is named by its diff_id: one of the base's is hashed and taken from
         * the base; any other is a layer the build made, compressed and streamed to {@code upload} as it comes, as the
         * classic archive's top layer is. Its bytes must hash to its name either way.
         */
        void addBlob(String name, Digest blob, InputStream in, Supplier<Optional<BlobUpload>> upload, Consumer<String> notes)
                throws IOException, StoreException {
            for (var e : known().entrySet()) {
                if (e.getValue().digest().equals(blob)) {
                    done.put(name, new Layer(e.getKey(), e.getValue()));
                    return;
                }
            }
            java.io.BufferedInputStream b = new java.io.BufferedInputStream(in, 1 << 16);
            b.mark(4);
            byte[] head = b.readNBytes(4);
            b.reset();
            Compression c = Compression.of(head);
            if (c != Compression.NONE) {
                done.put(name, addCompressed(blob, c, b));
                return;
            }
            Descriptor base = known.get(blob);
            Layer l;
            if (base != null) {
                MessageDigest md = Digest.newSha256();
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = b.read(buf)) > 0) md.update(buf, 0, n);
                l = new Layer(Digest.ofSha256(md), base);
            } else {
                l = compressAndStream(b, out, type, upload, notes);
            }
            if (!l.diffId().equals(blob)) {
                throw new IOException("the saved image's blob " + blob + " has digest " + l.diffId() + ": the archive is corrupt");
            }
            done.put(name, l);
        }

        /** A layer blob compressed with {@code c}, as its first bytes said, stored as it is. */
        private Layer addCompressed(Digest blob, Compression c, InputStream b) throws IOException, StoreException {
            if (c == Compression.ZSTD) {
                throw new IOException("layer " + blob.shortHex() + " of the saved image is zstd-compressed, which polyarch cannot read yet; "
                        + "build on a gzip base image, or use the classic image store");
            }
            try (OciLayoutStore.BlobWriter w = out.newBlobWriter()) {
                MessageDigest md = Digest.newSha256();
                InputStream copying = new java.io.FilterInputStream(b) {
                    @Override
                    public int read() throws IOException {
                        int x = super.read();
                        if (x >= 0) w.write(x);
                        return x;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        int n = super.read(buf, off, len);
                        if (n > 0) w.write(buf, off, n);
                        return n;
                    }

                    @Override
                    public void close() {
                        // the archive goes on after this entry
                    }
                };
                try (InputStream inflated = new java.util.zip.GZIPInputStream(copying, 1 << 16)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = inflated.read(buf)) > 0) md.update(buf, 0, n);
                }
                copying.transferTo(OutputStream.nullOutputStream()); // whatever follows the last member is still the blob's
                Descriptor d = w.commit(type);
                if (!d.digest().equals(blob)) {
                    throw new IOException("the saved image's blob " + blob + " has digest " + d.digest() + ": the archive is corrupt");
                }
                return new Layer(Digest.ofSha256(md), d);
            }
        }

        /** Every layer added, once those compressed on the side are done. */
        Map<String, Layer> finish() throws IOException, StoreException {
            for (var e : pending.entrySet()) {
                try {
                    done.put(e.getKey(), e.getValue().get());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while compressing a layer");
                } catch (java.util.concurrent.ExecutionException ex) {
                    if (ex.getCause() instanceof IOException io) throw io;
                    if (ex.getCause() instanceof StoreException se) throw se;
                    if (ex.getCause() instanceof RuntimeException re) throw re;
                    throw new IOException("compressing a layer failed: " + ex.getCause(), ex.getCause());
                }
            }
            pending.clear();
            return done;
        }

        @Override
        public void close() {
            if (compressor != null) compressor.shutdownNow();
        }
    }

    private static Layer compress(InputStream in, OciLayoutStore out, MediaType type) throws IOException, StoreException {
        try (OciLayoutStore.BlobWriter w = out.newBlobWriter()) {
            AdaptiveGzip.Result r = AdaptiveGzip.compress(in, w);
            return new Layer(r.diffId(), w.commit(type));
        }
    }

    private static Layer compressAndStream(InputStream in, OciLayoutStore out, MediaType type, Supplier<Optional<BlobUpload>> upload,
                                           Consumer<String> notes) throws IOException, StoreException {
        Optional<BlobUpload> up = upload.get();
        if (up.isEmpty()) return compress(in, out, type);
        BlobUpload u = up.get();
        Layer layer;
        try (OciLayoutStore.BlobWriter w = out.newBlobWriter()) {
            // the registry gets each chunk first (it is the slowest taker); the layout's copy is hashed and written on
            // another thread meanwhile
            AdaptiveGzip.Result r;
            try (BackgroundOutputStream stored = new BackgroundOutputStream(w, "layer-store")) {
                OutputStream tee = new FilterOutputStream(stored) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        u.write(b, off, len);
                        stored.write(b, off, len);
                    }

                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[]{(byte) b}, 0, 1);
                    }
                };
                r = AdaptiveGzip.compress(in, tee);
            }
            layer = new Layer(r.diffId(), w.commit(type));
        } catch (IOException | StoreException | RuntimeException ex) {
            u.abort();
            throw ex;
        }
        String failed = u.commit(layer.compressed());
        notes.accept(failed == null ? "sent layer " + layer.compressed().digest().shortHex() + " to the registry during the export"
                : "could not send layer " + layer.compressed().digest().shortHex() + " during the export (" + failed + "); the push sends it");
        return layer;
    }

    /**
     * Which entries of the archive are the image's config and layers: from {@code manifest.json} (the classic
     * archive, and docker save's OCI archive), else from the OCI layout's {@code index.json} and the image manifest it
     * names (BuildKit's OCI exporter), attestation manifests skipped.
     */
    record SavedImage(String config, List<String> layers) {
        static SavedImage of(Map<String, byte[]> small) throws BuildException {
            byte[] manifestJson = small.get("manifest.json");
            if (manifestJson != null) {
                JsonNode manifest;
                try {
                    manifest = OciJson.mapper().readTree(manifestJson);
                } catch (IOException ex) {
                    throw new BuildException("docker save wrote an unreadable manifest.json: " + ex.getMessage());
                }
                if (!manifest.isArray() || manifest.size() != 1) {
                    throw new BuildException("docker save wrote " + manifest.size() + " images; expected exactly one");
                }
                JsonNode m = manifest.get(0);
                List<String> layers = new ArrayList<>();
                m.path("Layers").forEach(l -> layers.add(normalize(l.asText())));
                return new SavedImage(normalize(m.path("Config").asText()), layers);
            }
            byte[] index = small.get("index.json");
            if (index == null) throw new BuildException("the saved image has neither manifest.json nor index.json; is this an image archive?");
            JsonNode node = OciJson.readTree(index, "index.json");
            for (int depth = 0; depth < 4; depth++) {
                JsonNode pick = null;
                for (JsonNode d : node.path("manifests")) {
                    if (!d.path("annotations").has("vnd.docker.reference.type") && !"unknown".equals(d.path("platform").path("os").asText())) {
                        if (pick != null) throw new BuildException("the saved image's index lists more than one image; expected one platform's");
                        pick = d;
                    }
                }
                if (pick == null) throw new BuildException("the saved image's index lists no image");
                String name = "blobs/" + pick.path("digest").asText().replace(':', '/');
                byte[] body = small.get(name);
                if (body == null) throw new BuildException("the saved image lacks its manifest " + name);
                node = OciJson.readTree(body, name);
                if (node.has("layers")) {
                    List<String> layers = new ArrayList<>();
                    node.path("layers").forEach(l -> layers.add("blobs/" + l.path("digest").asText().replace(':', '/')));
                    return new SavedImage("blobs/" + node.path("config").path("digest").asText().replace(':', '/'), layers);
                }
            }
            throw new BuildException("the saved image's index nests too deep");
        }
    }

    /** How a layer's bytes are compressed, from their first bytes. */
    enum Compression {
        NONE, GZIP, ZSTD;

        static Compression of(byte[] head) {
            if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return GZIP;
            if (head.length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) return ZSTD;
            return NONE;
        }
    }

    private static final java.util.regex.Pattern BLOB = java.util.regex.Pattern.compile("blobs/sha256/([0-9a-f]{64})");

    /** The digest an OCI archive's entry is stored under ({@code blobs/sha256/HEX}), or null for any other name. */
    private static Digest blobDigest(String name) {
        java.util.regex.Matcher m = BLOB.matcher(name);
        return m.matches() ? Digest.parse("sha256:" + m.group(1)) : null;
    }

    /** The classic archive's per-layer json: only the top layer's carries the image's config. */
    private static boolean isTopLayerJson(byte[] json) {
        try {
            return OciJson.mapper().readTree(json).has("config");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String normalize(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.replace('\\', '/');
    }
}
