package io.polyarch.soci;

import java.util.List;
import java.util.Map;

/**
 * Serialises a {@link Ztoc} to its FlatBuffers form, writing the fields in the order soci-snapshotter's
 * {@code ztoc_marshaler.go} does: the layout, and therefore the digest, is the same.
 */
public final class ZtocWriter {
    private ZtocWriter() {
    }

    public static byte[] write(Ztoc z) {
        FlatBuilder b = new FlatBuilder();
        int version = b.createString(z.version());
        int tool = b.createString(z.buildToolIdentifier());
        int toc = toc(b, z.files());

        int checkpoints = b.createByteVector(z.checkpoints());
        int[] digests = new int[z.spanDigests().size()];
        for (int i = 0; i < digests.length; i++) digests[i] = b.createString(z.spanDigests().get(i));
        int spanDigests = b.createOffsetVector(digests);
        b.startTable(4);
        b.addIntField(1, z.maxSpanId(), 0);
        b.addOffsetField(2, spanDigests);
        b.addOffsetField(3, checkpoints);
        if (z.compression() != Ztoc.Compression.GZIP) b.addByteField(0, z.compression().value, Ztoc.Compression.GZIP.value);
        int info = b.endTable();

        b.startTable(6);
        b.addOffsetField(0, version);
        b.addOffsetField(1, tool);
        b.addOffsetField(4, toc);
        b.addLongField(2, z.compressedArchiveSize(), 0);
        b.addLongField(3, z.uncompressedArchiveSize(), 0);
        b.addOffsetField(5, info);
        return b.finish(b.endTable());
    }

    private static int toc(FlatBuilder b, List<Ztoc.FileMetadata> files) {
        int[] offsets = new int[files.size()];
        for (int i = files.size() - 1; i >= 0; i--) offsets[i] = metadata(b, files.get(i));
        int vector = b.createOffsetVector(offsets);
        b.startTable(1);
        b.addOffsetField(0, vector);
        return b.endTable();
    }

    private static int metadata(FlatBuilder b, Ztoc.FileMetadata m) {
        int name = b.createString(m.name());
        int type = b.createString(m.type());
        int link = b.createString(m.linkname());
        int uname = b.createString(m.uname());
        int gname = b.createString(m.gname());
        int modTime = b.createString(m.modTime());
        int[] xattrs = new int[m.paxHeaders().size()];
        int i = 0;
        for (Map.Entry<String, String> e : m.paxHeaders().entrySet()) {
            int k = b.createString(e.getKey());
            int v = b.createString(e.getValue());
            b.startTable(2);
            b.addOffsetField(0, k);
            b.addOffsetField(1, v);
            xattrs[i++] = b.endTable();
        }
        int xattrVector = b.createOffsetVector(xattrs);
        b.startTable(14);
        b.addOffsetField(0, name);
        b.addOffsetField(1, type);
        b.addLongField(2, m.uncompressedOffset(), 0);
        b.addLongField(3, m.uncompressedSize(), 0);
        b.addOffsetField(4, link);
        b.addLongField(5, m.mode(), 0);
        b.addIntField(6, m.uid(), 0);
        b.addIntField(7, m.gid(), 0);
        b.addOffsetField(8, uname);
        b.addOffsetField(9, gname);
        b.addOffsetField(10, modTime);
        b.addLongField(11, m.devmajor(), 0);
        b.addLongField(12, m.devminor(), 0);
        b.addOffsetField(13, xattrVector);
        return b.endTable();
    }
}
