package io.polyarch.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Makes runnable busybox images for a platform (the busybox-static binaries scripts/setup.sh downloads)
 * and pushes them. Nothing here is what is under test; the images are checked afterwards by docker and skopeo.
 */
public final class TestImages {
    private TestImages() {
    }

    public static Path fixtures() {
        String env = System.getenv("POLYARCH_FIXTURES");
        Path p = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/polyarch/fixtures");
        if (!Files.isRegularFile(p.resolve("busybox-amd64")) || !Files.isRegularFile(p.resolve("busybox-arm64"))) {
            throw new IllegalStateException("busybox fixtures missing in " + p + ": run scripts/setup.sh first");
        }
        return p;
    }

    public static byte[] busybox(String arch) {
        try {
            return Files.readAllBytes(fixtures().resolve("busybox-" + arch));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A layer with busybox and the applets the tests run, as /bin/... */
    public static byte[] busyboxLayer(String arch, String marker) {
        TarBuilder t = new TarBuilder().dir("bin").file("bin/busybox", busybox(arch), 0755);
        for (String applet : List.of("sh", "uname", "echo", "cat", "env", "ls", "true")) t.symlink("bin/" + applet, "busybox");
        t.dir("etc").file("etc/polyarch-marker", marker.getBytes(), 0644);
        return TarBuilder.gzip(t.tar());
    }

    /**
     * Pushes an image whose config claims {@code configArch} while its binary is {@code binaryArch}
     * (the same in honest images). Returns the manifest.
     */
    public static RawManifest push(ContentStore store, String tag, String binaryArch, String configArch, boolean docker,
                                   byte[]... extraLayers) throws Exception {
        byte[] layer = busyboxLayer(binaryArch, tag + "-" + binaryArch);
        Descriptor layerDesc = Descriptor.of(docker ? MediaType.DOCKER_LAYER_GZIP : MediaType.OCI_LAYER_GZIP, layer);
        store.putBlob(layerDesc, () -> new ByteArrayInputStream(layer));
        var layers = new java.util.ArrayList<>(List.of(layerDesc));
        var diffIds = new java.util.ArrayList<Digest>();
        diffIds.add(Digest.sha256(gunzip(layer)));
        for (byte[] extra : extraLayers) {
            Descriptor d = Descriptor.of(docker ? MediaType.DOCKER_LAYER_GZIP : MediaType.OCI_LAYER_GZIP, extra);
            store.putBlob(d, () -> new ByteArrayInputStream(extra));
            layers.add(d);
            diffIds.add(diffId(extra));
        }
        ObjectNode cfg = OciJson.mapper().createObjectNode();
        cfg.put("architecture", configArch);
        cfg.put("os", "linux");
        if (configArch.equals("arm64")) cfg.put("variant", "v8");
        cfg.put("created", "2026-01-01T00:00:00Z");
        ObjectNode c = cfg.putObject("config");
        c.putArray("Env").add("PATH=/bin");
        c.putArray("Cmd").add("uname").add("-m");
        ObjectNode rootfs = cfg.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(d -> ids.add(d.toString()));
        // one history entry per layer, as every real builder writes (buildah refuses images without)
        ArrayNode history = cfg.putArray("history");
        for (int i = 0; i < diffIds.size(); i++) history.addObject().put("created", "2026-01-01T00:00:00Z").put("created_by", "polyarch test layer " + i);
        byte[] cfgBytes = OciJson.bytes(cfg);
        Descriptor cfgDesc = Descriptor.of(docker ? MediaType.DOCKER_CONFIG : MediaType.OCI_CONFIG, cfgBytes);
        store.putBlob(cfgDesc, () -> new ByteArrayInputStream(cfgBytes));
        MediaType mt = docker ? MediaType.DOCKER_MANIFEST : MediaType.OCI_MANIFEST;
        RawManifest m = RawManifest.of(mt, OciJson.write(new ImageManifest(mt, cfgDesc, layers, null, null, Map.of())));
        store.putManifest(m, tag);
        return m;
    }

    /**
     * The base image the build tests start FROM: busybox for linux/amd64 and linux/arm64 (Docker media types), each
     * under {@code <arch><suffix>}, joined in an index under {@code latest}.
     */
    public static RawManifest pushBase(ContentStore store, String suffix) throws Exception {
        RawManifest amd = push(store, "amd64" + suffix, "amd64", "amd64", true);
        RawManifest arm = push(store, "arm64" + suffix, "arm64", "arm64", true);
        return pushIndex(store, "latest", List.of(amd, arm), List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64), null);
    }

    /** An OCI index over the given images, as buildx would push it (optionally with an attestation entry). */
    public static RawManifest pushIndex(ContentStore store, String tag, List<RawManifest> images, List<Platform> platforms,
                                        RawManifest attestation) throws Exception {
        var entries = new java.util.ArrayList<Descriptor>();
        for (int i = 0; i < images.size(); i++) entries.add(images.get(i).descriptor().withPlatform(platforms.get(i)));
        if (attestation != null) {
            entries.add(attestation.descriptor().withPlatform(new Platform("unknown", "unknown", null))
                    .withAnnotations(Map.of("vnd.docker.reference.type", "attestation-manifest",
                            "vnd.docker.reference.digest", images.get(0).digest().toString())));
        }
        RawManifest idx = RawManifest.of(MediaType.OCI_INDEX, OciJson.write(new ImageIndex(MediaType.OCI_INDEX, entries, null, null, Map.of())));
        store.putManifest(idx, tag);
        return idx;
    }

    /** The layer's diff_id; for a layer that is deliberately not valid gzip (bad-input tests), the digest of its bytes. */
    private static Digest diffId(byte[] layer) {
        try {
            return Digest.sha256(gunzip(layer));
        } catch (IllegalStateException notGzip) {
            return Digest.sha256(layer);
        }
    }

    public static byte[] gunzip(byte[] gz) {
        try (var in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #publishBase(TestRegistry, io.polyarch.registry.Registries)} through a client of its own, anonymous. */
    public static String publishBase(TestRegistry reg) throws Exception {
        try (io.polyarch.registry.Registries r = new io.polyarch.registry.Registries(io.polyarch.registry.RegistryOptions.defaults(),
                io.polyarch.registry.auth.CredentialProvider.ANONYMOUS)) {
            return publishBase(reg, r);
        }
    }

    /** Publishes the busybox base for both architectures as {@code REGISTRY/base:latest} and returns that reference. */
    public static String publishBase(TestRegistry reg, io.polyarch.registry.Registries registries) throws Exception {
        try (io.polyarch.registry.RegistryClient b = registries.open(io.polyarch.oci.Reference.parse(reg.host() + "/base"), true)) {
            pushBase(b, "");
        }
        return reg.host() + "/base:latest";
    }

    /**
     * A root filesystem tar per architecture (Debian's, which scripts/setup.sh debootstraps) as a one-layer image each,
     * joined in an index under {@code REGISTRY/repo:tag}, which is returned.
     */
    public static String publishRootfs(TestRegistry reg, io.polyarch.registry.Registries registries, String repo, String tag,
                                       Map<String, Path> tars) throws Exception {
        try (io.polyarch.registry.RegistryClient store = registries.open(io.polyarch.oci.Reference.parse(reg.host() + "/" + repo), true)) {
            List<RawManifest> images = new java.util.ArrayList<>();
            List<Platform> platforms = new java.util.ArrayList<>();
            for (var e : tars.entrySet()) {
                byte[] tar = Files.readAllBytes(e.getValue());
                byte[] layer = TarBuilder.gzip(tar);
                Descriptor layerDesc = Descriptor.of(MediaType.OCI_LAYER_GZIP, layer);
                store.putBlob(layerDesc, () -> new ByteArrayInputStream(layer));
                ObjectNode cfg = OciJson.mapper().createObjectNode();
                cfg.put("architecture", e.getKey());
                cfg.put("os", "linux");
                if (e.getKey().equals("arm64")) cfg.put("variant", "v8");
                cfg.put("created", "2026-01-01T00:00:00Z");
                ObjectNode c = cfg.putObject("config");
                c.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
                c.putArray("Cmd").add("bash");
                ObjectNode rootfs = cfg.putObject("rootfs");
                rootfs.put("type", "layers");
                rootfs.putArray("diff_ids").add(Digest.sha256(tar).toString());
                cfg.putArray("history").addObject().put("created", "2026-01-01T00:00:00Z").put("created_by", "debootstrap --variant=minbase");
                byte[] cfgBytes = OciJson.bytes(cfg);
                Descriptor cfgDesc = Descriptor.of(MediaType.OCI_CONFIG, cfgBytes);
                store.putBlob(cfgDesc, () -> new ByteArrayInputStream(cfgBytes));
                RawManifest m = RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(new ImageManifest(MediaType.OCI_MANIFEST, cfgDesc, List.of(layerDesc), null, null, Map.of())));
                store.putManifest(m, tag + "-" + e.getKey());
                images.add(m);
                platforms.add(e.getKey().equals("arm64") ? Platform.LINUX_ARM64 : new Platform("linux", e.getKey(), null));
            }
            pushIndex(store, tag, images, platforms, null);
        }
        return reg.host() + "/" + repo + ":" + tag;
    }
}
