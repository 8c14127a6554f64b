package io.polyarch.soci;

import io.polyarch.oci.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * One streaming pass over a layer gives its whole zTOC: checkpoints, span digests and the TOC together (the
 * inflater feeds the tar parser), serialised as soci-snapshotter serialises it. Gzip-compressed and uncompressed
 * tar layers are supported, as in soci.
 */
public final class ZtocBuilder {
    public static final String VERSION = "0.9";
    /** The version soci writes into its tar zinfo. */
    static final int TAR_ZINFO_VERSION = 2;

    /** A layer's zTOC and its bytes (their SHA-256 is the zTOC's digest in the SOCI index). */
    public record Built(Ztoc ztoc, byte[] bytes) {
    }

    private ZtocBuilder() {
    }

    public static Built fromGzipTar(InputStream layer, long spanSize, String buildTool) throws IOException {
        TocBuilder toc = new TocBuilder();
        GzipIndexer.Result r = GzipIndexer.index(layer, spanSize, toc);
        toc.finish();
        if (toc.files().isEmpty()) throw new TocBuilder.TarException("the layer holds no tar entries");
        // soci records the position its tar reader stopped at (after the end-of-archive blocks) as the uncompressed size
        long uncompressed = toc.endOfArchive() > 0 ? toc.endOfArchive() : r.uncompressedSize();
        Ztoc z = new Ztoc(VERSION, buildTool, r.compressedSize(), uncompressed, toc.files(), Ztoc.Compression.GZIP,
                r.checkpoints().size() - 1, r.spanDigests(), zinfoBlob(r.checkpoints(), spanSize));
        return new Built(z, ZtocWriter.write(z));
    }

    /**
     * An uncompressed tar layer: spans are plain {@code spanSize} slices of the file (soci's tar zinfo holds only
     * version, span size and size), each with the SHA-256 of its bytes.
     */
    public static Built fromTar(InputStream layer, long spanSize, String buildTool) throws IOException {
        if (spanSize <= 0) throw new IllegalArgumentException("span size must be positive, not " + spanSize);
        TocBuilder toc = new TocBuilder();
        MessageDigest span = Digest.newSha256();
        List<String> digests = new ArrayList<>();
        byte[] buf = new byte[1 << 16];
        long size = 0;
        long inSpan = 0;
        for (int n; (n = layer.read(buf)) > 0; ) {
            toc.data(buf, 0, n);
            int off = 0;
            while (off < n) {
                int take = (int) Math.min(n - off, spanSize - inSpan);
                span.update(buf, off, take);
                off += take;
                inSpan += take;
                if (inSpan == spanSize) {
                    digests.add(Digest.ofSha256(span).toString());
                    inSpan = 0;
                }
            }
            size += n;
        }
        if (inSpan > 0 || size == 0) digests.add(Digest.ofSha256(span).toString());
        toc.finish();
        if (toc.files().isEmpty()) throw new TocBuilder.TarException("the layer holds no tar entries");
        long maxSpanId = size / spanSize - (size % spanSize == 0 ? 1 : 0);
        if (size == 0) maxSpanId = 0;
        long uncompressed = toc.endOfArchive() > 0 ? toc.endOfArchive() : size;
        Ztoc z = new Ztoc(VERSION, buildTool, size, uncompressed, toc.files(), Ztoc.Compression.UNCOMPRESSED,
                (int) maxSpanId, digests, tarZinfo(spanSize, size));
        return new Built(z, ZtocWriter.write(z));
    }

    /** soci's {@code zinfo.TarZinfo} flatbuffer: {version: int32, span_size: int64, size: int64}. */
    static byte[] tarZinfo(long spanSize, long size) {
        FlatBuilder b = new FlatBuilder();
        b.startTable(3);
        b.addIntField(0, TAR_ZINFO_VERSION, 0); // in the order soci's generated builder adds them
        b.addLongField(1, spanSize, 0);
        b.addLongField(2, size, 0);
        return b.finish(b.endTable());
    }

    /**
     * The checkpoints as soci-snapshotter's zinfo blob (version 2): int32 count, int64 span size, then for every
     * checkpoint int64 compressed offset, int64 uncompressed offset, one byte of bits and the 32 KiB window, all
     * little-endian.
     */
    static byte[] zinfoBlob(List<GzipIndexer.Checkpoint> checkpoints, long spanSize) {
        if (checkpoints.size() > GzipIndexer.MAX_CHECKPOINTS) throw new IllegalArgumentException("more than " + GzipIndexer.MAX_CHECKPOINTS + " checkpoints");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + checkpoints.size() * (17 + GzipIndexer.WINDOW)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(checkpoints.size()).putLong(spanSize);
        for (GzipIndexer.Checkpoint c : checkpoints) {
            b.putLong(GzipIndexer.inOffset(c)).putLong(c.uncompressedOffset()).put((byte) GzipIndexer.inBits(c)).put(c.window());
        }
        return b.array();
    }
}
