package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
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
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code polyarch index create} against a real distribution registry, checked with skopeo, docker and QEMU. */
class IndexCreateIT {
    static TestRegistry reg;
    static TestRegistry other;
    static Registries registries;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        other = TestRegistry.plain();
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
    }

    @AfterAll
    static void stop() {
        registries.close();
        reg.close();
        other.close();
    }

    static RegistryClient repo(TestRegistry r, String name) throws Exception {
        return registries.open(Reference.parse(r.host() + "/" + name), true);
    }

    static JsonNode skopeoRaw(String ref) {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo inspect " + ref);
        return OciJson.readTree(r.out().getBytes(), "skopeo output");
    }

    @Test
    void publishesIndexThatDockerPullsAndRunsPerPlatform() throws Exception {
        RegistryClient src = repo(reg, "src/hello");
        RawManifest amd = TestImages.push(src, "amd64", "amd64", "amd64", false);
        RawManifest arm = TestImages.push(src, "arm64", "arm64", "arm64", false);
        String target = reg.host() + "/hello:v1";

        var r = Cli.run("index", "create", "--to", target, "--tag", "latest", "--tag", "1",
                reg.host() + "/src/hello:amd64", reg.host() + "/src/hello:arm64");
        assertEquals(0, r.code(), r.toString());

        JsonNode idx = skopeoRaw(target);
        assertEquals("application/vnd.oci.image.index.v1+json", idx.get("mediaType").asText());
        assertEquals(2, idx.get("manifests").size());
        assertEquals(amd.digest().toString(), idx.get("manifests").get(0).get("digest").asText());
        assertEquals("amd64", idx.get("manifests").get(0).path("platform").path("architecture").asText());
        assertEquals(arm.digest().toString(), idx.get("manifests").get(1).get("digest").asText());
        assertEquals("arm64", idx.get("manifests").get(1).path("platform").path("architecture").asText());
        // every extra tag points at the same index
        String digest = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + target)).requireOk("digest").out().trim();
        for (String t : List.of("latest", "1")) {
            assertEquals(digest, Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                    "docker://" + reg.host() + "/hello:" + t)).requireOk("digest " + t).out().trim());
        }

        for (String[] p : new String[][]{{"linux/arm64", "aarch64"}, {"linux/amd64", "x86_64"}}) {
            Tools.run(List.of(Tools.docker(), "pull", "-q", "--platform", p[0], target)).requireOk("docker pull " + p[0]);
            var run = Tools.run(List.of(Tools.docker(), "run", "--rm", "--platform", p[0], target)).requireOk("docker run " + p[0]);
            assertEquals(p[1], run.out().trim(), "uname -m inside the " + p[0] + " image");
        }
        Tools.run(List.of(Tools.docker(), "rmi", "-f", target));

        // the same inputs again: success, nothing changes
        var again = Cli.run("index", "create", "--to", target, "--tag", "latest", "--tag", "1",
                reg.host() + "/src/hello:amd64", reg.host() + "/src/hello:arm64");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("unchanged: v1, latest, 1"), again.out());
        assertEquals(digest, Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + target)).out().trim());
    }

    @Test
    void configThatDisagreesWithItsPlatformFailsAndTagsNothing() throws Exception {
        RegistryClient src = repo(reg, "src/liar");
        TestImages.push(src, "amd64", "amd64", "amd64", false);
        // an arm64 binary whose config says amd64, listed by the user as arm64
        TestImages.push(src, "arm64", "arm64", "amd64", false);
        var r = Cli.run("index", "create", "--to", reg.host() + "/liar:v1",
                reg.host() + "/src/liar:amd64", reg.host() + "/src/liar:arm64=linux/arm64");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("is listed as linux/arm64 but its config says linux/amd64"), r.err());
        assertTrue(r.err().contains("nothing was tagged"), r.err());
        assertTrue(repo(reg, "liar").headManifest("v1").isEmpty(), "no tag may be written");
    }

    @Test
    void badInputIsAUsageErrorNamingTheCulprit() throws Exception {
        RegistryClient src = repo(reg, "src/bad");
        TestImages.push(src, "a1", "amd64", "amd64", false);
        TestImages.push(src, "a2", "amd64", "amd64", false);
        String s = reg.host() + "/src/bad:";

        var dup = Cli.run("index", "create", "--to", reg.host() + "/bad:v1", s + "a1", s + "a2");
        assertEquals(2, dup.code(), dup.toString());
        assertTrue(dup.err().contains("two sources for platform linux/amd64"), dup.err());
        assertTrue(dup.err().contains(s + "a1") && dup.err().contains(s + "a2"), dup.err());

        var missing = Cli.run("index", "create", "--to", reg.host() + "/bad:v1", s + "a1", s + "nope");
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().contains("source '" + s + "nope' does not exist"), missing.err());

        var malformed = Cli.run("index", "create", "--to", reg.host() + "/Bad:v1", s + "a1");
        assertEquals(2, malformed.code(), malformed.toString());
        assertTrue(malformed.err().contains("repository name must be lowercase"), malformed.err());

        var platform = Cli.run("index", "create", "--to", reg.host() + "/bad:v1", s + "a1=linux/arm65");
        assertEquals(2, platform.code(), platform.toString());
        assertTrue(platform.err().contains("unknown architecture 'arm65'"), platform.err());

        var noTag = Cli.run("index", "create", "--to", reg.host() + "/bad:v1", "--tag", "-x", s + "a1");
        assertEquals(2, noTag.code(), noTag.toString());

        assertTrue(repo(reg, "bad").listTags().isEmpty(), "failed runs write no tags");
    }

    @Test
    void flattensIndexesDropsAttestationsAndCopiesAcrossRegistries() throws Exception {
        RegistryClient src = repo(reg, "src/multi");
        RawManifest amd = TestImages.push(src, "amd64", "amd64", "amd64", false);
        RawManifest arm = TestImages.push(src, "arm64", "arm64", "arm64", false);
        RawManifest att = TestImages.push(src, "att", "amd64", "amd64", false);
        TestImages.pushIndex(src, "buildx", List.of(amd), List.of(Platform.LINUX_AMD64), att);

        // index source + image source, into another registry
        String target = other.host() + "/flat:v2";
        var r = Cli.run("index", "create", "--to", target, reg.host() + "/src/multi:buildx", reg.host() + "/src/multi:arm64");
        assertEquals(0, r.code(), r.toString());
        JsonNode idx = skopeoRaw(target);
        List<String> platforms = new ArrayList<>();
        idx.get("manifests").forEach(m -> platforms.add(m.path("platform").path("os").asText() + "/" + m.path("platform").path("architecture").asText()));
        assertEquals(List.of("linux/amd64", "linux/arm64"), platforms);
        // children were copied: each is fetchable from the target registry, config and layers included
        for (JsonNode m : idx.get("manifests")) {
            Tools.run(List.of("skopeo", "copy", "--src-tls-verify=false", "docker://" + other.host() + "/flat@" + m.get("digest").asText(),
                    "dir:" + java.nio.file.Files.createTempDirectory("pulled"))).requireOk("pull child " + m.get("digest").asText());
        }

        var keep = Cli.run("index", "create", "--keep-attestations", "--to", other.host() + "/flat:att", reg.host() + "/src/multi:buildx");
        assertEquals(0, keep.code(), keep.toString());
        JsonNode withAtt = skopeoRaw(other.host() + "/flat:att");
        assertEquals(2, withAtt.get("manifests").size());
        assertEquals("unknown", withAtt.get("manifests").get(1).path("platform").path("architecture").asText());
    }

    @Test
    void dockerChildrenGiveAManifestListAndOciOnRequest() throws Exception {
        RegistryClient src = repo(reg, "src/dock");
        TestImages.push(src, "amd64", "amd64", "amd64", true);
        TestImages.push(src, "arm64", "arm64", "arm64", true);
        var auto = Cli.run("index", "create", "--to", reg.host() + "/dock:auto", reg.host() + "/src/dock:amd64", reg.host() + "/src/dock:arm64");
        assertEquals(0, auto.code(), auto.toString());
        assertEquals("application/vnd.docker.distribution.manifest.list.v2+json", skopeoRaw(reg.host() + "/dock:auto").get("mediaType").asText());
        var oci = Cli.run("index", "create", "--media-type", "oci", "--annotation", "org.opencontainers.image.source=https://example.com/app",
                "--to", reg.host() + "/dock:oci", reg.host() + "/src/dock:amd64", reg.host() + "/src/dock:arm64");
        assertEquals(0, oci.code(), oci.toString());
        JsonNode o = skopeoRaw(reg.host() + "/dock:oci");
        assertEquals("application/vnd.oci.image.index.v1+json", o.get("mediaType").asText());
        assertEquals("https://example.com/app", o.path("annotations").path("org.opencontainers.image.source").asText());
    }

    @Test
    void writesAnOciLayoutThatValidates(@TempDir Path tmp) throws Exception {
        RegistryClient src = repo(reg, "src/lay");
        TestImages.push(src, "amd64", "amd64", "amd64", false);
        TestImages.push(src, "arm64", "arm64", "arm64", false);
        Path out = tmp.resolve("layout");
        var r = Cli.run("index", "create", "--to", "oci:" + out + ":v1", reg.host() + "/src/lay:amd64", reg.host() + "/src/lay:arm64");
        assertEquals(0, r.code(), r.toString());
        Tools.run(List.of("oci-image-tool", "validate", "--type", "image", "--ref", "name=v1", out.toString())).requireOk("oci-image-tool validate");
        var raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + out + ":v1")).requireOk("skopeo inspect oci");
        assertEquals(2, OciJson.readTree(raw.out().getBytes(), "index").get("manifests").size());
        // and back out of the layout into a registry, as another index
        var back = Cli.run("index", "create", "--to", reg.host() + "/lay:from-layout", "oci:" + out + ":v1");
        assertEquals(0, back.code(), back.toString());
        assertFalse(repo(reg, "lay").headManifest("from-layout").isEmpty());

        // the validator is a real check: a corrupted layer makes it fail
        Path biggest;
        try (var files = java.nio.file.Files.list(out.resolve("blobs/sha256"))) {
            biggest = files.max(java.util.Comparator.comparingLong(f -> f.toFile().length())).orElseThrow();
        }
        java.nio.file.Files.write(biggest, new byte[]{1, 2, 3});
        var broken = Tools.run(List.of("oci-image-tool", "validate", "--type", "image", "--ref", "name=v1", out.toString()));
        assertTrue(broken.code() != 0, "oci-image-tool must reject a corrupted layout: " + broken);
    }
}
