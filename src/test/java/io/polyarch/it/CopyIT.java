package io.polyarch.it;

import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code polyarch copy} between registries, repositories and layouts, digests preserved. */
class CopyIT {
    static TestRegistry a;
    static TestRegistry b;
    static Registries registries;
    static RawManifest index;
    static RawManifest arm;

    @BeforeAll
    static void start() throws Exception {
        a = TestRegistry.plain();
        b = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
        RegistryClient src = registries.open(Reference.parse(a.host() + "/app"), true);
        RawManifest amd = TestImages.push(src, "amd64", "amd64", "amd64", false, TarBuilderLayers.random(3 << 20, 1));
        arm = TestImages.push(src, "arm64", "arm64", "arm64", false, TarBuilderLayers.random(3 << 20, 2));
        index = TestImages.pushIndex(src, "v1", List.of(amd, arm), List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64), null);
    }

    @AfterAll
    static void stop() {
        registries.close();
        a.close();
        b.close();
    }

    static String digestOf(String ref) {
        return Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo").out();
    }

    @Test
    void copiesAnIndexBetweenRegistriesWithDigestsPreserved() {
        var r = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", b.host() + "/mirror/app:v1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\"digest\" : \"" + index.digest() + "\""), r.out());
        // byte-identical manifests at the destination, every child pullable by skopeo
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(b.host() + "/mirror/app:v1"));
        Tools.run(List.of("skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + b.host() + "/mirror/app:v1", "dir:" + tmpDir()))
                .requireOk("skopeo pulls the copy");

        // a second copy moves no blob
        var again = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", b.host() + "/mirror/app:v1");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("\"blobsCopied\" : 0"), again.out());
    }

    @Test
    void mountsWithinARegistry() {
        var r = Cli.run("copy", "--all", "--json", a.host() + "/app:v1", a.host() + "/other/app:v1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\"blobsCopied\" : 0"), r.out());
        assertTrue(r.out().contains("\"blobsMounted\" : 6"), r.out());
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(a.host() + "/other/app:v1"));
    }

    @Test
    void withoutAllCopiesOnePlatform(@TempDir Path tmp) {
        var r = Cli.run("copy", "--platform", "linux/arm64", a.host() + "/app:v1", "oci:" + tmp.resolve("one") + ":arm");
        assertEquals(0, r.code(), r.toString());
        var raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + tmp.resolve("one") + ":arm")).requireOk("skopeo oci");
        assertEquals(new String(arm.bytes()), raw.out());

        var none = Cli.run("copy", "--platform", "linux/s390x", a.host() + "/app:v1", "oci:" + tmp.resolve("two"));
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("has no image for linux/s390x; it has linux/amd64, linux/arm64"), none.err());
    }

    @Test
    void roundTripsThroughALayout(@TempDir Path tmp) {
        String layout = "oci:" + tmp.resolve("lay") + ":v1";
        assertEquals(0, Cli.run("copy", "--all", a.host() + "/app:v1", layout).code());
        Tools.run(List.of("oci-image-tool", "validate", "--type", "image", "--ref", "name=v1", tmp.resolve("lay").toString())).requireOk("validate");
        var back = Cli.run("copy", "--all", layout, b.host() + "/back:v1");
        assertEquals(0, back.code(), back.toString());
        assertEquals(digestOf(a.host() + "/app:v1"), digestOf(b.host() + "/back:v1"));
    }

    @Test
    void missingSourceAndBadReferences() {
        var missing = Cli.run("copy", "--all", a.host() + "/app:nope", b.host() + "/x:v1");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("manifest nope not found in " + a.host() + "/app"), missing.err());
        var bad = Cli.run("copy", "http://" + a.host() + "/app:v1", b.host() + "/x:v1");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("without a scheme"), bad.err());
    }

    static String tmpDir() {
        try {
            return java.nio.file.Files.createTempDirectory("skopeo-dir").toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
