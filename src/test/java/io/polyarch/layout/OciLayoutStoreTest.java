package io.polyarch.layout;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.MediaType;
import io.polyarch.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An OCI layout directory someone else prepared: links, oversized files, and what other users can read. */
class OciLayoutStoreTest {
    @Test
    void linksInTheLayoutAreRefusedAndNothingIsWrittenThroughThem(@TempDir Path dir) throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path layout = dir.resolve("layout");
        OciLayoutStore.open(layout, true).close();
        Files.createSymbolicLink(layout.resolve(".index.lock"), outside.resolve("created-by-polyarch"));
        StoreException lock = assertThrows(StoreException.class, () -> OciLayoutStore.open(layout, true));
        assertTrue(lock.getMessage().contains(".index.lock is a symbolic link"), lock.getMessage());
        assertFalse(Files.exists(outside.resolve("created-by-polyarch")));

        Path other = dir.resolve("layout2");
        Files.createDirectories(other.resolve("blobs"));
        Files.createSymbolicLink(other.resolve("blobs/sha256"), outside);
        StoreException blobs = assertThrows(StoreException.class, () -> OciLayoutStore.open(other, true));
        assertTrue(blobs.getMessage().contains("blobs/sha256 is a symbolic link"), blobs.getMessage());
        try (var files = Files.list(outside)) {
            assertEquals(0, files.count(), "nothing written outside");
        }
    }

    @Test
    void anOversizedIndexIsRefusedUnread(@TempDir Path dir) throws Exception {
        Path layout = dir.resolve("layout");
        OciLayoutStore.open(layout, true).close();
        try (RandomAccessFile f = new RandomAccessFile(layout.resolve("index.json").toFile(), "rw")) {
            f.setLength(65L << 20); // sparse: no disk, but a reader that trusts it would allocate 65 MiB (or 3 GB)
        }
        try (OciLayoutStore s = OciLayoutStore.open(layout, false)) {
            StoreException e = assertThrows(StoreException.class, s::entries);
            assertTrue(e.getMessage().contains("more than the"), e.getMessage());
        }
    }

    @Test
    void blobsAreAsReadableAsTheUmaskMakesNewFiles(@TempDir Path dir) throws Exception {
        Path layout = dir.resolve("layout");
        byte[] b = "hello".getBytes(StandardCharsets.UTF_8);
        Descriptor d = Descriptor.of(MediaType.OCI_LAYER, b);
        try (OciLayoutStore s = OciLayoutStore.open(layout, true)) {
            s.putBlob(d, () -> new ByteArrayInputStream(b));
        }
        Path probe = Files.createFile(layout.resolve("blobs/sha256/probe"));
        assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(layout.resolve("blobs/sha256/" + d.digest().hex())),
                "a blob gets the permissions any new file gets here, not the temporary file's 0600");
        assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(layout.resolve("index.json")));
    }
}
