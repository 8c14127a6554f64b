package io.polyarch.layout;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The file habits of an OCI layout: reads with a size cap, files that respect the umask, atomic replacement. */
final class LayoutFiles {
    private LayoutFiles() {
    }

    /** Manifests larger than distribution's own limit are refused unread; index.json may list many. */
    static final long MAX_MANIFEST_BYTES = 4 << 20;
    static final long MAX_INDEX_BYTES = 64 << 20;

    static byte[] readCapped(Path p, long max) throws IOException {
        long size = Files.size(p);
        if (size > max) throw new IOException(p.getFileName() + " is " + size + " bytes, more than the " + max + " a layout's manifest or index may have");
        return Files.readAllBytes(p);
    }

    /**
     * The permissions a new file gets here under the process's umask (temporary files are made 0600, which would
     * leave every blob unreadable to other users whatever the umask says); found once per directory by making one.
     */
    static java.util.Set<java.nio.file.attribute.PosixFilePermission> filePermissions(Path dir) {
        try {
            Path probe = dir.resolve(".umask-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            Files.createFile(probe);
            try {
                return Files.getPosixFilePermissions(probe);
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Gives a finished temporary file the permissions a new file of the directory would have. */
    static void publishable(Path tmp) {
        publishable(tmp, filePermissions(tmp.getParent()));
    }

    /** Gives a finished temporary file {@code perms} (null: as it is). */
    static void publishable(Path tmp, java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) {
        if (perms == null) return;
        try {
            Files.setPosixFilePermissions(tmp, perms);
        } catch (IOException | UnsupportedOperationException ignored) {
            // keeps 0600
        }
    }

    static void writeAtomic(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-", "");
        try {
            Files.write(tmp, content);
            publishable(tmp);
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

}
