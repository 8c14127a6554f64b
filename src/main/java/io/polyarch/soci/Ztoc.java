package io.polyarch.soci;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A zTOC: the table of contents of one layer (every tar entry) and what is needed to start decompressing it in
 * the middle (gzip checkpoints every span), as soci-snapshotter's {@code ztoc/fbs/ztoc.fbs} defines it.
 *
 * @param checkpoints the zinfo checkpoint blob (see soci-snapshotter's gzip_zinfo)
 * @param maxSpanId   the number of spans minus one
 */
public record Ztoc(String version, String buildToolIdentifier, long compressedArchiveSize, long uncompressedArchiveSize,
                   List<FileMetadata> files, Compression compression, int maxSpanId, List<String> spanDigests, byte[] checkpoints) {
    public Ztoc {
        files = List.copyOf(files);
        spanDigests = List.copyOf(spanDigests);
    }

    public enum Compression {
        /** The schema default, and what soci-snapshotter writes by leaving the field out. */
        GZIP(1),
        UNCOMPRESSED(2);

        final byte value;

        Compression(int v) {
            this.value = (byte) v;
        }
    }

    /**
     * One tar entry. {@code modTime} is RFC 3339 with sub-second precision when present, as Go's
     * {@code time.Time.MarshalText} writes it ({@code 0001-01-01T00:00:00Z} for the zero time).
     * {@code paxHeaders} are the raw PAX records (the schema calls them xattrs), written sorted by key.
     */
    public record FileMetadata(String name, String type, long uncompressedOffset, long uncompressedSize, String linkname, long mode,
                               int uid, int gid, String uname, String gname, String modTime, long devmajor, long devminor,
                               Map<String, String> paxHeaders) {
        public FileMetadata {
            paxHeaders = new TreeMap<>(paxHeaders);
        }

        /** What Go's zero value of soci's FileMetadata marshals to. */
        public static FileMetadata empty() {
            return new FileMetadata("", "", 0, 0, "", 0, 0, 0, "", "", "0001-01-01T00:00:00Z", 0, 0, Map.of());
        }
    }
}
