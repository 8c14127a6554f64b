package io.polyarch.build.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.build.BuildException;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.store.StoreException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Turns the tar stream of {@code docker save} (the classic layout with {@code manifest.json}, or the OCI
 * layout newer engines write) into an image in an OCI layout directory: the config kept byte for byte, each
 * layer checked against the config's {@code diff_ids} and gzip-compressed deterministically (the same layer
 * gives the same blob digest on every run, so an unchanged rebuild publishes nothing new).
 */
public final class DockerArchive {
    private DockerArchive() {
    }

    private record Saved(Path file, Digest sha256, long size) {
    }

    public static RawManifest importTo(InputStream tarStream, Path scratch, OciLayoutStore out, int threads, boolean oci) throws IOException, BuildException {
        Path raw = Files.createDirectories(scratch.resolve("save"));
        Map<String, Saved> files = new HashMap<>();
        TarReader tar = new TarReader(tarStream);
        TarReader.Entry e;
        int n = 0;
        while ((e = tar.next()) != null) {
            if (!e.isFile()) continue;
            Path f = raw.resolve("f" + (n++));
            MessageDigest md = Digest.newSha256();
            try (OutputStream os = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(f), 1 << 16), md)) {
                long copied = tar.content().transferTo(os);
                files.put(normalize(e.name()), new Saved(f, Digest.ofSha256(md), copied));
            }
        }
        Saved manifestFile = files.get("manifest.json");
        if (manifestFile == null) throw new BuildException("docker save wrote no manifest.json; is this a Docker image archive?");
        JsonNode manifest;
        try {
            manifest = OciJson.mapper().readTree(Files.readAllBytes(manifestFile.file()));
        } catch (IOException ex) {
            throw new BuildException("docker save wrote an unreadable manifest.json: " + ex.getMessage());
        }
        if (!manifest.isArray() || manifest.size() != 1) {
            throw new BuildException("docker save wrote " + manifest.size() + " images; expected exactly one");
        }
        JsonNode m = manifest.get(0);
        Saved config = files.get(normalize(m.path("Config").asText()));
        if (config == null) throw new BuildException("docker save archive lacks its config " + m.path("Config").asText());
        byte[] configBytes = Files.readAllBytes(config.file());
        JsonNode cfg = OciJson.readTree(configBytes, "image config");
        List<String> diffIds = new ArrayList<>();
        cfg.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
        JsonNode layers = m.path("Layers");
        if (layers.size() != diffIds.size()) {
            throw new BuildException("docker save archive lists " + layers.size() + " layers but the config has " + diffIds.size() + " diff_ids");
        }
        List<Saved> layerFiles = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Saved s = files.get(normalize(layers.get(i).asText()));
            if (s == null) throw new BuildException("docker save archive lacks layer " + layers.get(i).asText());
            if (!s.sha256().toString().equals(diffIds.get(i))) {
                throw new BuildException("layer " + i + " of the saved image has digest " + s.sha256() + " but the config says " + diffIds.get(i));
            }
            layerFiles.add(s);
        }
        try {
            Descriptor configDesc = Descriptor.of(oci ? MediaType.OCI_CONFIG : MediaType.DOCKER_CONFIG, config.sha256(), config.size());
            out.putBlob(configDesc, () -> Files.newInputStream(config.file()));
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, layerFiles.size())));
            try {
                List<Future<Descriptor>> jobs = new ArrayList<>();
                for (Saved s : layerFiles) jobs.add(pool.submit(() -> compress(s, scratch, out, oci ? MediaType.OCI_LAYER_GZIP : MediaType.DOCKER_LAYER_GZIP)));
                List<Descriptor> descs = new ArrayList<>();
                for (Future<Descriptor> f : jobs) descs.add(f.get());
                MediaType type = oci ? MediaType.OCI_MANIFEST : MediaType.DOCKER_MANIFEST;
                ImageManifest im = new ImageManifest(type, configDesc, descs, null, null, null);
                RawManifest rm = RawManifest.of(type, OciJson.write(im));
                out.putManifest(rm, io.polyarch.build.BuildOutput.TAG);
                return rm;
            } catch (java.util.concurrent.ExecutionException ex) {
                Throwable c = ex.getCause();
                if (c instanceof IOException io) throw io;
                if (c instanceof StoreException se) throw new BuildException("cannot store the built image: " + se.getMessage(), se);
                throw new BuildException("cannot compress a layer: " + c, c);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new BuildException("interrupted while compressing layers");
            } finally {
                pool.shutdownNow();
            }
        } catch (StoreException ex) {
            throw new BuildException("cannot store the built image: " + ex.getMessage(), ex);
        }
    }

    private static Descriptor compress(Saved s, Path scratch, OciLayoutStore out, MediaType layerType) throws IOException, StoreException {
        Path gz = Files.createTempFile(scratch, "layer", ".gz");
        MessageDigest md = Digest.newSha256();
        long size;
        try (InputStream in = Files.newInputStream(s.file());
             CountingOutputStream counter = new CountingOutputStream(new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(gz), 1 << 16), md));
             GZIPOutputStream z = new FastGzip(counter)) {
            in.transferTo(z);
            z.finish();
            size = counter.count;
        }
        Descriptor d = Descriptor.of(layerType, Digest.ofSha256(md), size);
        out.putBlob(d, () -> Files.newInputStream(gz));
        Files.deleteIfExists(gz);
        Files.deleteIfExists(s.file());
        return d;
    }

    private static String normalize(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.replace('\\', '/');
    }

    /** Level 1 of 9: docker push's layers are the same order of size, and the build machine's time is what the user waits on. */
    static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }

    static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
