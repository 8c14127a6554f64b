package io.polyarch.soci;

import io.polyarch.oci.Digest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ZtocWriterTest {
    /** soci-snapshotter's TestWriteZtoc: the zero-valued zTOC of version 0.9 must serialise to its golden bytes. */
    @Test
    void reproducesSociSnapshotterGoldenZtoc() {
        Ztoc z = new Ztoc("0.9", "AWS SOCI CLI", 2_000_000, 2_500_000,
                List.of(Ztoc.FileMetadata.empty(), Ztoc.FileMetadata.empty()), Ztoc.Compression.GZIP, 3, List.of(), new byte[1 << 16]);
        byte[] out = ZtocWriter.write(z);
        assertEquals(65928, out.length);
        assertEquals("sha256:eba28fdf50b1b57543f57dd051b2468c1d4f57b64d2006c75aa4de1d03e6c7ec", Digest.sha256(out).toString());
    }
}
