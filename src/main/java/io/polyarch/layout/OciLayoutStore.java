package io.polyarch.layout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.DigestMismatchException;
import io.polyarch.store.NotFoundException;
import io.polyarch.store.StoreException;
import io.polyarch.store.VerifyingInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * An OCI image layout directory
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/image-layout.md">image-layout.md</a>) as a
 * {@link ContentStore}: {@code oci-layout}, {@code index.json} whose entries carry
 * {@code org.opencontainers.image.ref.name} for tags, and {@code blobs/sha256/…}. Blobs are written to a
 * temporary file beside their final place, verified, then renamed, so a crash never leaves a blob
 * whose name lies about its content. index.json is rewritten the same way under a file lock.
 */
public final class OciLayoutStore implements ContentStore {
    private final Path dir;

    private OciLayoutStore(Path dir) {
        this.dir = dir;
    }

    private volatile java.util.Set<java.nio.file.attribute.PosixFilePermission> blobPerms;

    /** {@link LayoutFiles#publishable} for blobs, with the directory's permissions found once per store. */
    private void publishBlob(Path tmp) {
        if (blobPerms == null) blobPerms = LayoutFiles.filePermissions(tmp.getParent());
        LayoutFiles.publishable(tmp, blobPerms);
    }

    /** Opens a layout, creating an empty one when {@code create} is set and the directory has none. */
    public static OciLayoutStore open(Path dir, boolean create) throws StoreException {
        Path marker = dir.resolve("oci-layout");
        // a link in the layout (committed to a repository, or planted) would make writes land anywhere, as root
        for (String part : new String[]{"blobs", "blobs/sha256", "index.json", "oci-layout", ".index.lock"}) {
            if (Files.isSymbolicLink(dir.resolve(part))) {
                throw new StoreException("open OCI layout " + dir, part + " is a symbolic link; polyarch writes only to the layout's own files", false, null);
            }
        }
        if (!Files.isRegularFile(marker)) {
            if (!create) {
                throw new NotFoundException("open " + dir, "not an OCI image layout (no oci-layout file)");
            }
            try {
                Files.createDirectories(dir.resolve("blobs/sha256"));
                LayoutFiles.writeAtomic(marker, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
                if (!Files.exists(dir.resolve("index.json"))) {
                    LayoutFiles.writeAtomic(dir.resolve("index.json"), emptyIndex());
                }
            } catch (IOException e) {
                throw new StoreException("create OCI layout " + dir, e.getMessage(), false, e);
            }
        }
        return new OciLayoutStore(dir);
    }

    private static byte[] emptyIndex() {
        return OciJson.write(new ImageIndex(MediaType.OCI_INDEX, List.of(), null, null, null));
    }

    public Path dir() {
        return dir;
    }

    @Override
    public String describe() {
        return "oci:" + dir;
    }

    private Path blobPath(Digest d) {
        return dir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
    }

    @Override
    public Optional<Descriptor> statBlob(Digest digest) throws StoreException {
        Path p = blobPath(digest);
        try {
            return Files.isRegularFile(p)
                    ? Optional.of(Descriptor.of(MediaType.of("application/octet-stream"), digest, Files.size(p)))
                    : Optional.empty();
        } catch (IOException e) {
            throw new StoreException("stat " + p, e.getMessage(), false, e);
        }
    }

    @Override
    public InputStream openBlob(Descriptor d) throws StoreException {
        Path p = blobPath(d.digest());
        String action = "read blob " + d.digest().shortHex() + " from " + describe();
        if (!Files.isRegularFile(p)) throw new NotFoundException(action, "blob not found");
        try {
            return new VerifyingInputStream(Files.newInputStream(p), d.digest(), d.size(), action);
        } catch (IOException e) {
            throw new StoreException(action, e.getMessage(), false, e);
        }
    }

    @Override
    public void putBlob(Descriptor d, BlobSource source) throws StoreException {
        Path target = blobPath(d.digest());
        String action = "write blob " + d.digest().shortHex() + " to " + describe();
        try {
            if (Files.isRegularFile(target) && Files.size(target) == d.size()) return;
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".tmp-" + d.digest().shortHex(), "");
            try {
                MessageDigest md = d.digest().newHasher();
                long size = 0;
                try (InputStream in = source.open(); OutputStream out = Files.newOutputStream(tmp)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                        out.write(buf, 0, n);
                        size += n;
                    }
                }
                String actual = d.digest().algorithm() + ":" + HexFormat.of().formatHex(md.digest());
                if (!actual.equals(d.digest().toString()) || size != d.size()) {
                    throw new DigestMismatchException(action, d.digest(), actual + " (" + size + " bytes)");
                }
                publishBlob(tmp);
                LayoutFiles.move(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            throw new StoreException(action, e.getMessage(), false, e);
        }
    }

    /**
     * A blob whose digest is known only once it is written (a layer being compressed): the bytes go to a
     * temporary file beside the blobs, hashed on the way, and {@link BlobWriter#commit} moves the file under
     * the digest computed while writing, so it can never be stored under a wrong name.
     */
    public BlobWriter newBlobWriter() throws StoreException {
        Path dirPath = dir.resolve("blobs/sha256");
        try {
            Files.createDirectories(dirPath);
            Path tmp = Files.createTempFile(dirPath, ".tmp-writer", "");
            return new BlobWriter(tmp);
        } catch (IOException e) {
            throw new StoreException("write blob to " + describe(), e.getMessage(), false, e);
        }
    }

    /** See {@link #newBlobWriter()}. */
    public final class BlobWriter extends java.io.FilterOutputStream {
        private final Path tmp;
        private final MessageDigest md = Digest.newSha256();
        private long size;
        private boolean done;

        private BlobWriter(Path tmp) throws IOException {
            super(new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16));
            this.tmp = tmp;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            md.update((byte) b);
            size++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            md.update(b, off, len);
            size += len;
        }

        /** Closes the file and stores it under its digest; returns its descriptor with the given media type. */
        public Descriptor commit(MediaType mediaType) throws StoreException {
            Digest d = Digest.ofSha256(md);
            try {
                out.close();
                Path target = blobPath(d);
                if (Files.isRegularFile(target) && Files.size(target) == size) Files.delete(tmp);
                else {
                    publishBlob(tmp);
                    LayoutFiles.move(tmp, target);
                }
                done = true;
                return Descriptor.of(mediaType, d, size);
            } catch (IOException e) {
                throw new StoreException("write blob " + d.shortHex() + " to " + describe(), e.getMessage(), false, e);
            }
        }

        /** Discards an uncommitted blob. */
        @Override
        public void close() throws IOException {
            if (done) return;
            try {
                out.close();
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Override
    public Optional<RawManifest> getManifest(String ref) throws StoreException {
        Optional<Descriptor> d = headManifest(ref);
        if (d.isEmpty()) return Optional.empty();
        Path p = blobPath(d.get().digest());
        try {
            byte[] bytes = LayoutFiles.readCapped(p, LayoutFiles.MAX_MANIFEST_BYTES);
            RawManifest m = RawManifest.of(OciJson.detectMediaType(bytes, d.get().mediaType()), bytes);
            if (!m.digest().equals(d.get().digest())) {
                throw new DigestMismatchException("read manifest " + ref + " from " + describe(), d.get().digest(), m.digest().toString());
            }
            return Optional.of(m);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreException("read manifest " + ref + " from " + describe(), e.getMessage(), false, e);
        }
    }

    @Override
    public Optional<Descriptor> headManifest(String ref) throws StoreException {
        if (ref.startsWith("sha256:") || ref.startsWith("sha512:")) {
            Digest digest = Digest.parse(ref);
            for (Descriptor d : entries()) if (d.digest().equals(digest)) return Optional.of(d);
            Path p = blobPath(digest);
            if (!Files.isRegularFile(p)) return Optional.empty();
            try {
                byte[] bytes = LayoutFiles.readCapped(p, LayoutFiles.MAX_MANIFEST_BYTES);
                return Optional.of(Descriptor.of(OciJson.detectMediaType(bytes, null), digest, bytes.length));
            } catch (IOException | IllegalArgumentException e) {
                throw new StoreException("read manifest " + ref + " from " + describe(), e.getMessage(), false, e);
            }
        }
        for (Descriptor d : entries()) {
            if (ref.equals(d.annotations().get(Descriptor.ANNOTATION_REF_NAME))) return Optional.of(d);
        }
        return Optional.empty();
    }

    @Override
    public void putManifest(RawManifest m, String tag) throws StoreException {
        putBlob(m.descriptor(), () -> new java.io.ByteArrayInputStream(m.bytes()));
        if (tag == null) {
            // a referrer (a manifest with a subject) is listed in index.json untagged, so referrers() finds it
            if (m.subject() != null) {
                Descriptor d = m.descriptor();
                updateIndex(entries -> {
                    if (entries.stream().noneMatch(e -> e.digest().equals(d.digest()) && e.annotations().get(Descriptor.ANNOTATION_REF_NAME) == null)) {
                        entries.add(d);
                    }
                });
            }
            return;
        }
        updateIndex(entries -> {
            entries.removeIf(e -> tag.equals(e.annotations().get(Descriptor.ANNOTATION_REF_NAME)));
            Descriptor d = m.descriptor().withAnnotations(java.util.Map.of(Descriptor.ANNOTATION_REF_NAME, tag));
            Manifest parsed = m.parse();
            if (parsed instanceof ImageManifest im) {
                Optional<Descriptor> platformHint = configPlatform(im);
                if (platformHint.isPresent()) d = d.withPlatform(platformHint.get().platform());
            }
            entries.add(d);
        });
    }

    private Optional<Descriptor> configPlatform(ImageManifest im) {
        try (InputStream in = openBlob(im.config())) {
            var cfg = OciJson.parseConfig(in.readAllBytes());
            return cfg.platform() == null ? Optional.empty() : Optional.of(im.config().withPlatform(cfg.platform()));
        } catch (IOException | StoreException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public void deleteManifest(String ref) throws StoreException {
        boolean[] removed = {false};
        updateIndex(entries -> removed[0] = entries.removeIf(e -> ref.equals(e.annotations().get(Descriptor.ANNOTATION_REF_NAME))
                || ref.equals(e.digest().toString())));
        if (!removed[0]) throw new NotFoundException("delete " + ref + " from " + describe(), "no such manifest in index.json");
    }

    @Override
    public List<String> listTags() throws StoreException {
        List<String> tags = new ArrayList<>();
        for (Descriptor d : entries()) {
            String t = d.annotations().get(Descriptor.ANNOTATION_REF_NAME);
            if (t != null) tags.add(t);
        }
        return tags;
    }

    @Override
    public List<Descriptor> referrers(Digest subject) throws StoreException {
        List<Descriptor> out = new ArrayList<>();
        for (Descriptor d : entries()) {
            Optional<RawManifest> m = getManifest(d.digest().toString());
            if (m.isEmpty()) continue;
            Descriptor s = m.get().subject();
            if (s != null && s.digest().equals(subject)) out.add(m.get().asReferrer());
        }
        return out;
    }

    /** The descriptors listed in index.json. */
    public List<Descriptor> entries() throws StoreException {
        Path p = dir.resolve("index.json");
        try {
            if (!Files.exists(p)) return List.of();
            Manifest m = OciJson.parseManifest(MediaType.OCI_INDEX, LayoutFiles.readCapped(p, LayoutFiles.MAX_INDEX_BYTES));
            return ((ImageIndex) m).manifests();
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new StoreException("read " + p, "index.json is not a valid OCI index: " + e.getMessage(), false, e);
        }
    }

    private interface IndexEdit {
        void apply(List<Descriptor> entries);
    }

    private void updateIndex(IndexEdit edit) throws StoreException {
        Path p = dir.resolve("index.json");
        synchronized (this) {
            try (FileChannel ch = FileChannel.open(dir.resolve(".index.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
                 FileLock ignored = lock(ch)) {
                List<Descriptor> entries = new ArrayList<>(entries());
                edit.apply(entries);
                ObjectNode root = (ObjectNode) OciJson.readTree(Files.exists(p) ? LayoutFiles.readCapped(p, LayoutFiles.MAX_INDEX_BYTES) : emptyIndex(), "index.json");
                ArrayNode arr = root.putArray("manifests");
                for (Descriptor d : entries) arr.add(OciJson.descriptorNode(d));
                root.put("schemaVersion", 2);
                root.put("mediaType", MediaType.OCI_INDEX.value());
                LayoutFiles.writeAtomic(p, OciJson.bytes(root));
            } catch (IOException e) {
                throw new StoreException("update " + p, e.getMessage(), false, e);
            }
        }
    }

    /**
     * The file lock keeps other processes out; another store object for the same directory in this JVM gets
     * OverlappingFileLockException instead of blocking, so wait for it here.
     */
    private static FileLock lock(FileChannel ch) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted waiting for the index.json lock");
                }
            }
        }
    }
}
