package io.polyarch.testing;

import io.polyarch.soci.GzipIndexer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a zTOC the way soci-snapshotter's generated flatbuffer accessors do (root offset, vtables, fields by slot
 * as {@code ztoc.fbs} numbers them), written separately from the production writer so that tests check the bytes,
 * not the writer against itself. Also decodes the gzip zinfo blob and extracts a file's bytes from its spans the
 * way a lazy loader does: from the checkpoint of the span the file starts in, reading only compressed bytes from
 * that checkpoint on.
 */
public final class ZtocReader {
    public record File(String name, String type, long offset, long size, String linkname, long mode, long uid, long gid,
                       String modTime) {
    }

    public record Read(String version, String buildTool, long compressedSize, long uncompressedSize, List<File> files,
                       int compression, int maxSpanId, List<String> spanDigests, byte[] checkpoints) {
    }

    private final ByteBuffer b;

    private ZtocReader(byte[] bytes) {
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static Read read(byte[] bytes) {
        ZtocReader r = new ZtocReader(bytes);
        int root = r.b.getInt(0);
        int tocT = r.table(root, 4);
        List<File> files = new ArrayList<>();
        int vec = r.field(tocT, 0);
        if (vec != 0) {
            int v = vec + r.b.getInt(vec);
            int n = r.b.getInt(v);
            for (int i = 0; i < n; i++) {
                int elem = v + 4 + 4 * i;
                int t = elem + r.b.getInt(elem);
                files.add(new File(r.string(t, 0), r.string(t, 1), r.longField(t, 2), r.longField(t, 3), r.string(t, 4),
                        r.longField(t, 5), r.intField(t, 6) & 0xffffffffL, r.intField(t, 7) & 0xffffffffL, r.string(t, 10)));
            }
        }
        int info = r.table(root, 5);
        int algoAt = r.field(info, 0);
        int algo = algoAt == 0 ? 1 : r.b.get(algoAt);
        List<String> digests = new ArrayList<>();
        int dv = r.field(info, 2);
        if (dv != 0) {
            int v = dv + r.b.getInt(dv);
            int n = r.b.getInt(v);
            for (int i = 0; i < n; i++) digests.add(r.stringAt(v + 4 + 4 * i));
        }
        byte[] cps = new byte[0];
        int cv = r.field(info, 3);
        if (cv != 0) {
            int v = cv + r.b.getInt(cv);
            cps = new byte[r.b.getInt(v)];
            r.b.get(v + 4, cps);
        }
        return new Read(r.string(root, 0), r.string(root, 1), r.longField(root, 2), r.longField(root, 3), files, algo,
                r.intField(info, 1), digests, cps);
    }

    /** The absolute position of field {@code slot} of the table at {@code table}, or 0 when absent. */
    private int field(int table, int slot) {
        int vt = table - b.getInt(table);
        int vtLen = b.getShort(vt) & 0xffff;
        int at = 4 + 2 * slot;
        if (at >= vtLen) return 0;
        int off = b.getShort(vt + at) & 0xffff;
        return off == 0 ? 0 : table + off;
    }

    private int table(int table, int slot) {
        int f = field(table, slot);
        return f == 0 ? 0 : f + b.getInt(f);
    }

    private String string(int table, int slot) {
        int f = field(table, slot);
        return f == 0 ? "" : stringAt(f);
    }

    private String stringAt(int ref) {
        int s = ref + b.getInt(ref);
        int len = b.getInt(s);
        return new String(b.array(), s + 4, len, StandardCharsets.UTF_8);
    }

    private long longField(int table, int slot) {
        int f = field(table, slot);
        return f == 0 ? 0 : b.getLong(f);
    }

    private int intField(int table, int slot) {
        int f = field(table, slot);
        return f == 0 ? 0 : b.getInt(f);
    }

    /** One entry of the gzip zinfo blob (version 2): compressed offset, uncompressed offset, bits, window. */
    public record Checkpoint(long in, long out, int bits, byte[] window) {
    }

    public static List<Checkpoint> checkpoints(byte[] zinfo) {
        ByteBuffer z = ByteBuffer.wrap(zinfo).order(ByteOrder.LITTLE_ENDIAN);
        int n = z.getInt();
        z.getLong(); // span size
        List<Checkpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long in = z.getLong();
            long o = z.getLong();
            int bits = z.get() & 0xff;
            byte[] w = new byte[GzipIndexer.WINDOW];
            z.get(w);
            out.add(new Checkpoint(in, o, bits, w));
        }
        return out;
    }

    /**
     * A file's bytes decompressed from the checkpoint of the span it starts in, reading the compressed layer only
     * from that checkpoint's byte on (the bit-level start is one byte before {@code in} when {@code bits} is set).
     */
    public static byte[] extract(byte[] layer, List<Checkpoint> cps, long offset, int length) throws IOException {
        Checkpoint cp = cps.get(0);
        for (Checkpoint c : cps) if (c.out() <= offset) cp = c;
        long bitOffset = cp.in() * 8 - cp.bits();
        var real = new GzipIndexer.Checkpoint(bitOffset, cp.out(), cp.window(), cp.out() == 0);
        int from = (int) real.byteOffset();
        InputStream tail = new ByteArrayInputStream(layer, from, layer.length - from);
        return GzipIndexer.extract(tail, real, offset, length);
    }
}
