package io.polyarch.pipeline.run;

import io.polyarch.build.BuildException;
import io.polyarch.build.BuildLog;
import io.polyarch.build.BuildOutput;
import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * A builder that builds nothing: for each request it writes, into the request's scratch layout, an image of one
 * gzip layer (a tar holding {@code /built-for} with the platform's name) and a config that says the platform it was
 * asked for (or another, to play an engine that took the wrong base) with the request's labels, on a base layer
 * when it is given one (left out, to play an engine that built on another image). It can be told to fail a
 * platform, or to hold a platform's build until it is interrupted (a long build that fastFail cancels).
 */
final class FakeBuilder implements Builder {
    final AtomicInteger builds = new AtomicInteger();
    final Set<Platform> failing = ConcurrentHashMap.newKeySet();
    final Set<Platform> blocking = ConcurrentHashMap.newKeySet();
    final Map<Platform, Platform> claims = new ConcurrentHashMap<>(); // asked-for platform -> what the config says
    final Set<Platform> interrupted = ConcurrentHashMap.newKeySet();
    final CountDownLatch blockingStarted = new CountDownLatch(1);
    /** The base layer every image starts with (its blob is the base's, left out of the layout), or null: none. */
    volatile Descriptor baseLayer;
    volatile Digest baseDiffId;
    /** Platform -> how many of its builds leave the base out (an engine that took another base image). */
    final Map<Platform, AtomicInteger> wrongBase = new ConcurrentHashMap<>();

    @Override
    public String describe() {
        return "fake engine";
    }

    @Override
    public Platform nativePlatform() {
        return Platform.LINUX_AMD64;
    }

    @Override
    public boolean usesLocalEmulation() {
        return false;
    }

    @Override
    public boolean needsPinnedBases() {
        return false;
    }

    @Override
    public BuildOutput build(BuildRequest req, BuildLog log) throws BuildException, InterruptedException {
        builds.incrementAndGet();
        Platform p = req.platform();
        log.line("building " + p);
        if (blocking.contains(p)) {
            blockingStarted.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.add(p);
                throw e;
            }
        }
        if (failing.contains(p)) throw new BuildException("RUN make: exit status 2 (simulated failure for " + p + ")");
        try {
            OciLayoutStore layout = OciLayoutStore.open(req.scratch().resolve("layout"), true);
            MediaType layerType = req.oci() ? MediaType.OCI_LAYER_GZIP : MediaType.DOCKER_LAYER_GZIP;
            byte[] tar = tar("built-for", p.toString());
            byte[] gz = gzip(tar);
            Descriptor layer = Descriptor.of(layerType, gz);
            layout.putBlob(layer, () -> new ByteArrayInputStream(gz));
            Platform says = claims.getOrDefault(p, p);
            String labels = OciJson.mapper().writeValueAsString(req.labels());
            AtomicInteger wrong = wrongBase.get(p);
            boolean onBase = baseLayer != null && (wrong == null || wrong.getAndDecrement() <= 0);
            String diffIds = (onBase ? "\"" + baseDiffId + "\"," : "") + "\"" + Digest.sha256(tar) + "\"";
            byte[] cfg = ("{\"architecture\":\"" + says.architecture() + "\",\"os\":\"" + says.os() + "\","
                    + (says.variant() == null ? "" : "\"variant\":\"" + says.variant() + "\",")
                    + "\"config\":{\"Labels\":" + labels + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}")
                    .getBytes(StandardCharsets.UTF_8);
            MediaType cfgType = req.oci() ? MediaType.OCI_CONFIG : MediaType.DOCKER_CONFIG;
            Descriptor config = Descriptor.of(cfgType, cfg);
            layout.putBlob(config, () -> new ByteArrayInputStream(cfg));
            MediaType mt = req.oci() ? MediaType.OCI_MANIFEST : MediaType.DOCKER_MANIFEST;
            List<Descriptor> layers = onBase ? List.of(Descriptor.of(layerType, baseLayer.digest(), baseLayer.size()), layer) : List.of(layer);
            RawManifest m = RawManifest.of(mt, OciJson.write(new ImageManifest(mt, config, layers, null, null, Map.of())));
            layout.putManifest(m, BuildOutput.TAG);
            return new BuildOutput(layout.dir(), m.digest(), 1, "sha256:" + m.digest().hex());
        } catch (Exception e) {
            throw new BuildException("fake build: " + e, e);
        }
    }

    /** A tar of one regular file. */
    static byte[] tar(String name, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, "00000000000");
        h[156] = '0';
        put(h, 257, "ustar");
        h[262] = 0;
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(h);
        out.write(data);
        out.write(new byte[(int) ((512 - data.length % 512) % 512)]);
        out.write(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }
}
