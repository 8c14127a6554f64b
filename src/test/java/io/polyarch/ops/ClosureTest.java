package io.polyarch.ops;

import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a copy takes out of a real OCI layout: the manifests in an order a reader can follow, all their blobs. */
class ClosureTest {
    static Descriptor blob(ContentStore s, MediaType type, String content) throws Exception {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        Descriptor d = Descriptor.of(type, b);
        s.putBlob(d, () -> new ByteArrayInputStream(b));
        return d;
    }

    static RawManifest image(ContentStore s, String name, Descriptor subject, String artifactType) throws Exception {
        ImageManifest m = new ImageManifest(MediaType.OCI_MANIFEST, blob(s, MediaType.OCI_CONFIG, "{\"config-of\":\"" + name + "\"}"),
                List.of(blob(s, MediaType.OCI_LAYER, "layer of " + name)), subject, artifactType, null);
        RawManifest raw = RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(m));
        s.putManifest(raw, null);
        return raw;
    }

    static RawManifest index(ContentStore s, String tag, List<Descriptor> children) throws Exception {
        RawManifest raw = RawManifest.of(MediaType.OCI_INDEX, OciJson.write(new ImageIndex(MediaType.OCI_INDEX, children, null, null, null)));
        s.putManifest(raw, tag);
        return raw;
    }

    static List<Digest> digests(List<RawManifest> ms) {
        return ms.stream().map(RawManifest::digest).toList();
    }

    @Test
    void childrenBeforeTheirIndexReferrersAfterTheirSubjectAndEveryBlob(@TempDir Path dir) throws Exception {
        try (OciLayoutStore s = OciLayoutStore.open(dir.resolve("lay"), true); Workers pool = new Workers(4, "test")) {
            RawManifest amd = image(s, "amd64", null, null);
            RawManifest arm = image(s, "arm64", null, null);
            RawManifest idx = index(s, "v1", List.of(amd.descriptor().withPlatform(Platform.LINUX_AMD64), arm.descriptor().withPlatform(Platform.LINUX_ARM64)));
            RawManifest soci = image(s, "soci of arm64", arm.descriptor(), "application/vnd.amazon.soci.index.v1+json");

            Closure plain = new Closure(s).add(idx, "the index");
            assertEquals(List.of(amd.digest(), arm.digest(), idx.digest()), digests(plain.manifests()));
            assertEquals(4, plain.blobs().size(), "each image's config and layer: " + plain.blobs());
            assertEquals(List.of(), plain.referrers());

            Closure all = new Closure(s).add(idx, "the index").addReferrers(pool);
            assertEquals(List.of(amd.digest(), arm.digest(), idx.digest(), soci.digest()), digests(all.manifests()));
            assertEquals(6, all.blobs().size(), all.blobs().toString());
            assertEquals(1, all.referrers().size());
            assertEquals(soci.digest(), all.referrers().get(0).digest());
            assertEquals("application/vnd.amazon.soci.index.v1+json", all.referrers().get(0).artifactType(), "as the store lists it");

            // one image alone: its own referrers only
            Closure one = new Closure(s).add(amd, "amd64").addReferrers(pool);
            assertEquals(List.of(amd.digest()), digests(one.manifests()));
        }
    }

    @Test
    void anIndexInsideAnIndexIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        try (OciLayoutStore s = OciLayoutStore.open(dir.resolve("lay"), true)) {
            RawManifest inner = index(s, "inner", List.of(image(s, "amd64", null, null).descriptor().withPlatform(Platform.LINUX_AMD64)));
            RawManifest outer = index(s, "outer", List.of(inner.descriptor()));
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> new Closure(s).add(outer, "source oci:lay:outer"));
            assertTrue(e.getMessage().contains("child " + inner.digest() + " of source oci:lay:outer is an index inside an index"), e.getMessage());
        }
    }

    @Test
    void aChildMissingFromTheStoreIsNamed(@TempDir Path dir) throws Exception {
        try (OciLayoutStore s = OciLayoutStore.open(dir.resolve("lay"), true)) {
            Descriptor absent = Descriptor.of(MediaType.OCI_MANIFEST, "{}".getBytes(StandardCharsets.UTF_8)).withPlatform(Platform.LINUX_ARM64);
            RawManifest idx = index(s, "v1", List.of(absent));
            var e = assertThrows(io.polyarch.store.StoreException.class, () -> new Closure(s).add(idx, "the index"));
            assertTrue(e.getMessage().contains(absent.digest().toString()), e.getMessage());
        }
    }
}
