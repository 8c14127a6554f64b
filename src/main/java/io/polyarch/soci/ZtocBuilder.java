package io.polyarch.soci;

import java.io.IOException;
import java.io.InputStream;

/**
 * One streaming pass over a gzip-compressed tar layer gives its whole zTOC: checkpoints, span digests and the
 * TOC together (the inflater feeds the tar parser), serialised as soci-snapshotter serialises it.
 */
public final class ZtocBuilder {
    public static final String VERSION = "0.9";

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
                r.checkpoints().size() - 1, r.spanDigests(), GzipIndexer.zinfoBlob(r.checkpoints(), spanSize));
        return new Built(z, ZtocWriter.write(z));
    }
}
