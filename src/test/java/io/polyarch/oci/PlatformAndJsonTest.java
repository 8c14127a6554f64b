package io.polyarch.oci;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlatformAndJsonTest {
    @Test
    void platformsParseAndNormalise() {
        assertEquals(new Platform("linux", "arm64", null), Platform.parse("linux/aarch64"));
        assertEquals(new Platform("linux", "amd64", null), Platform.parse("Linux/x86_64"));
        assertEquals(new Platform("linux", "arm", "v7"), Platform.parse("linux/arm/v7"));
        assertTrue(Platform.parse("linux/arm64").matches(Platform.parse("linux/arm64/v8")));
        assertTrue(Platform.parse("linux/arm").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/amd64").matches(Platform.parse("linux/arm64")));
        assertEquals("aarch64", Platform.parse("linux/arm64").unameMachine());
    }

    @Test
    void badPlatformsSayWhatIsExpected() {
        for (String bad : List.of("linux", "linux/", "/amd64", "linux/arm65", "plan10/amd64", "a/b/c/d")) {
            var e = assertThrows(IllegalArgumentException.class, () -> Platform.parse(bad), bad);
            assertTrue(e.getMessage().contains("expected"), e.getMessage());
        }
    }

    @Test
    void digestsAreStrict() {
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:ABC"));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("md5:" + "a".repeat(32)));
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest.sha256(new byte[0]).toString());
    }

    @Test
    void indexBytesAreDeterministicAndRoundTrip() {
        Descriptor a = Descriptor.of(MediaType.OCI_MANIFEST, Digest.sha256("a".getBytes()), 10).withPlatform(Platform.LINUX_AMD64);
        Descriptor b = Descriptor.of(MediaType.OCI_MANIFEST, Digest.sha256("b".getBytes()), 20).withPlatform(new Platform("linux", "arm64", "v8"));
        ImageIndex i1 = new ImageIndex(MediaType.OCI_INDEX, List.of(a, b), null, null, Map.of("z", "1", "a", "2"));
        ImageIndex i2 = new ImageIndex(MediaType.OCI_INDEX, List.of(a, b), null, null, Map.of("a", "2", "z", "1"));
        assertArrayEquals(OciJson.write(i1), OciJson.write(i2));
        String json = new String(OciJson.write(i1), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["), json);
        assertTrue(json.contains("\"annotations\":{\"a\":\"2\",\"z\":\"1\"}"), json);
        ImageIndex back = assertInstanceOf(ImageIndex.class, OciJson.parseManifest(MediaType.OCI_INDEX, OciJson.write(i1)));
        assertEquals(i1, back);
    }

    @Test
    void dockerManifestListsDropAnnotations() {
        Descriptor a = Descriptor.of(MediaType.DOCKER_MANIFEST, Digest.sha256("a".getBytes()), 10)
                .withPlatform(Platform.LINUX_AMD64).withAnnotations(Map.of("k", "v"));
        String json = new String(OciJson.write(new ImageIndex(MediaType.DOCKER_MANIFEST_LIST, List.of(a), null, null, Map.of("x", "y"))));
        assertFalse(json.contains("annotations"), json);
    }

    @Test
    void rawManifestDigestIsOverTheExactBytes() {
        byte[] pretty = "{\n  \"schemaVersion\": 2, \"manifests\": []\n}".getBytes();
        RawManifest m = RawManifest.of(MediaType.OCI_INDEX, pretty);
        assertEquals(Digest.sha256(pretty), m.digest());
        assertInstanceOf(ImageIndex.class, m.parse());
    }

    @Test
    void schema1AndGarbageAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> OciJson.parseManifest(MediaType.DOCKER_MANIFEST, "{\"schemaVersion\":1}".getBytes()));
        assertTrue(e.getMessage().contains("schema 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OciJson.parseManifest(MediaType.OCI_MANIFEST, "not json".getBytes()));
    }

    @org.junit.jupiter.api.Test
    void variantsAreThoseTheSpecLists() {
        org.junit.jupiter.api.Assertions.assertEquals("linux/arm64/v8", Platform.parse("linux/arm64/v8").toString());
        org.junit.jupiter.api.Assertions.assertEquals("linux/arm/v7", Platform.parse("linux/arm/v7").toString());
        org.junit.jupiter.api.Assertions.assertEquals("linux/amd64/v3", Platform.parse("linux/amd64/v3").toString());
        org.junit.jupiter.api.Assertions.assertEquals("linux/arm64/v9.2", Platform.parse("linux/arm64/v9.2").toString());
        for (String bad : java.util.List.of("linux/arm64/v99", "linux/arm/v9", "linux/amd64/v7", "linux/arm64/x")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Platform.parse(bad));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("unknown variant"), e.getMessage());
        }
    }
}
