package io.polyarch.soci;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TOC against an independent reader (Python's tarfile) on archives made by GNU tar in every format. */
class TocBuilderTest {
    static final String PY = """
            import json, sys, tarfile
            out = []
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    out.append({"name": m.name, "type": m.type.decode(), "offset": m.offset_data, "size": m.size,
                                "linkname": m.linkname, "mode": m.mode, "uid": m.uid, "gid": m.gid,
                                "uname": m.uname, "gname": m.gname, "mtime": m.mtime,
                                "pax": m.pax_headers})
            print(json.dumps(out))
            """;

    static Path tree(Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(root.resolve("small.txt"), "hello\n");
        Files.write(root.resolve("big.bin"), new byte[700_000]);
        byte[] noise = new byte[1 << 20];
        new java.util.Random(9).nextBytes(noise);
        Files.write(root.resolve("noise.bin"), noise); // incompressible: many small deflate blocks, so many checkpoints
        Path deep = Files.createDirectories(root.resolve("a".repeat(60) + "/" + "b".repeat(60)));
        Files.writeString(deep.resolve("c".repeat(80) + ".txt"), "deep file with a name over 100 characters\n");
        Files.createSymbolicLink(root.resolve("link-to-small"), Path.of("small.txt"));
        Files.createLink(root.resolve("hard-to-small"), root.resolve("small.txt"));
        Tools.run(List.of("mkfifo", root.resolve("pipe").toString())).requireOk("mkfifo");
        Files.createDirectories(root.resolve("empty-dir"));
        return root;
    }

    static void check(Path tar) throws Exception {
        TocBuilder toc = new TocBuilder();
        byte[] bytes = Files.readAllBytes(tar);
        // feed it in awkward pieces, as the inflater does
        for (int i = 0; i < bytes.length; i += 777) toc.data(bytes, i, Math.min(777, bytes.length - i));
        toc.finish();
        Path py = Files.writeString(tar.resolveSibling("dump.py"), PY);
        JsonNode expected = OciJson.mapper().readTree(Tools.run(List.of("python3", py.toString(), tar.toString())).requireOk("python tarfile").out());
        List<Ztoc.FileMetadata> files = toc.files();
        assertEquals(expected.size(), files.size(), tar.toString());
        Map<String, String> types = Map.of("0", "reg", "1", "hardlink", "2", "symlink", "5", "dir", "6", "fifo");
        for (int i = 0; i < files.size(); i++) {
            JsonNode e = expected.get(i);
            Ztoc.FileMetadata f = files.get(i);
            String where = tar.getFileName() + " entry " + e.path("name").asText();
            assertEquals(e.path("name").asText(), f.name().replaceAll("/$", ""), where);
            assertEquals(types.get(e.path("type").asText()), f.type(), where);
            assertEquals(e.path("offset").asLong(), f.uncompressedOffset(), where);
            if (f.type().equals("reg")) assertEquals(e.path("size").asLong(), f.uncompressedSize(), where);
            assertEquals(e.path("linkname").asText(), f.linkname(), where);
            assertEquals(e.path("mode").asLong(), f.mode(), where);
            assertEquals(e.path("uid").asInt(), f.uid(), where);
            assertEquals(e.path("uname").asText(), f.uname(), where);
            assertEquals((long) e.path("mtime").asDouble(), java.time.Instant.parse(f.modTime()).getEpochSecond(), where);
            e.path("pax").fields().forEachRemaining(p -> assertEquals(p.getValue().asText(), f.paxHeaders().get(p.getKey()), where));
        }
        assertTrue(toc.endOfArchive() > 0);
    }

    @Test
    void matchesAnIndependentReaderForEveryTarFormat(@TempDir Path dir) throws Exception {
        Path root = tree(dir);
        for (String format : List.of("gnu", "pax", "ustar", "posix")) {
            if (format.equals("ustar")) continue; // ustar cannot store the long name; gnu and pax cover it
            Path tar = dir.resolve(format + ".tar");
            List<String> cmd = new java.util.ArrayList<>(List.of("tar", "--format=" + format, "-C", root.toString(), "-cf", tar.toString()));
            if (format.equals("pax") || format.equals("posix")) cmd.addAll(List.of("--pax-option", "comment:=made by polyarch tests"));
            cmd.add(".");
            Tools.run(cmd).requireOk("tar " + format);
            check(tar);
        }
    }

    @Test
    void paxSubSecondTimesAreRfc3339() throws Exception {
        assertEquals("2023-11-14T22:13:20.5Z", TocBuilder.paxTime("1700000000.500000000", 0));
        assertEquals("2023-11-14T22:13:20Z", TocBuilder.paxTime("1700000000", 0));
        assertEquals("2023-11-14T22:13:20.000000001Z", TocBuilder.paxTime("1700000000.000000001", 0));
    }

    @Test
    void oneStreamingPassGivesCheckpointsAndTocTogether(@TempDir Path dir) throws Exception {
        Path root = tree(dir);
        Path tar = dir.resolve("layer.tar");
        Tools.run(List.of("tar", "--format=pax", "-C", root.toString(), "-cf", tar.toString(), ".")).requireOk("tar");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(Files.readAllBytes(tar));
        }
        TocBuilder toc = new TocBuilder();
        GzipIndexer.Result r = GzipIndexer.index(new ByteArrayInputStream(gz.toByteArray()), 64 << 10, toc);
        toc.finish();
        assertEquals(Files.size(tar), r.uncompressedSize());
        Ztoc.FileMetadata big = toc.files().stream().filter(f -> f.name().endsWith("big.bin")).findFirst().orElseThrow();
        assertEquals(700_000, big.uncompressedSize());
        // the file's bytes, read back from a checkpoint as a lazy loader would
        GzipIndexer.Checkpoint cp = r.checkpoints().stream().filter(c -> c.uncompressedOffset() <= big.uncompressedOffset() + 300_000)
                .reduce((a, b) -> b).orElseThrow();
        byte[] g = gz.toByteArray();
        byte[] part = GzipIndexer.extract(new ByteArrayInputStream(g, (int) cp.byteOffset(), g.length - (int) cp.byteOffset()), cp,
                big.uncompressedOffset() + 300_000, 1000);
        assertEquals(1000, part.length);
        for (byte x : part) assertEquals(0, x);
    }

    @Test
    void aWholeZtocFromOneLayer(@TempDir Path dir) throws Exception {
        Path root = tree(dir);
        Path tgz = dir.resolve("layer.tar.gz");
        Tools.run(List.of("sh", "-c", "tar --format=pax -C " + root + " -cf - . | gzip -6 > " + tgz)).requireOk("tar | gzip");
        var first = ZtocBuilder.fromGzipTar(Files.newInputStream(tgz), 64 << 10, "polyarch test");
        var again = ZtocBuilder.fromGzipTar(Files.newInputStream(tgz), 64 << 10, "polyarch test");
        assertTrue(java.util.Arrays.equals(first.bytes(), again.bytes()), "the same layer gives the same zTOC");
        Ztoc z = first.ztoc();
        assertEquals(Files.size(tgz), z.compressedArchiveSize());
        assertEquals(z.maxSpanId() + 1, z.spanDigests().size());
        assertTrue(z.maxSpanId() >= 10, "1 MiB of noise in 64 KiB spans: " + z.maxSpanId());
        assertEquals(12 + (z.maxSpanId() + 1) * (17 + 32768), z.checkpoints().length);
        JsonNode expected = OciJson.mapper().readTree(Tools.run(List.of("python3", Files.writeString(dir.resolve("d.py"), PY).toString(), tgz.toString()))
                .requireOk("python tarfile").out());
        assertEquals(expected.size(), z.files().size());
        var plain = Tools.run(List.of("sh", "-c", "gzip -dc " + tgz + " | wc -c")).requireOk("gzip").out().strip();
        assertTrue(z.uncompressedArchiveSize() <= Long.parseLong(plain));
        assertThrows(TocBuilder.TarException.class, () -> ZtocBuilder.fromGzipTar(
                new ByteArrayInputStream(GzipIndexerTest.gzip("not a tar".repeat(100).getBytes(), 6)), 1 << 20, "t"));
    }

    @Test
    void notATarAndTruncatedTarAreNamed(@TempDir Path dir) throws Exception {
        TocBuilder junk = new TocBuilder();
        byte[] text = "this is not a tar stream at all".repeat(40).getBytes();
        assertTrue(assertThrows(TocBuilder.TarException.class, () -> junk.data(text, 0, text.length)).getMessage().contains("not a tar stream"));
        Path root = tree(dir);
        Path tar = dir.resolve("t.tar");
        Tools.run(List.of("tar", "-C", root.toString(), "-cf", tar.toString(), ".")).requireOk("tar");
        byte[] all = Files.readAllBytes(tar);
        TocBuilder cut = new TocBuilder();
        cut.data(all, 0, 512 * 3 + 100);
        assertTrue(assertThrows(TocBuilder.TarException.class, cut::finish).getMessage().contains("truncated"));
    }

    @Test
    void anUncompressedTarLayerHasPlainSpans(@TempDir Path dir) throws Exception {
        Path root = tree(dir);
        Path tar = dir.resolve("layer.tar");
        Tools.run(List.of("tar", "--format=pax", "-C", root.toString(), "-cf", tar.toString(), ".")).requireOk("tar");
        byte[] all = Files.readAllBytes(tar);
        long span = 256 << 10;
        var built = ZtocBuilder.fromTar(new ByteArrayInputStream(all), span, "polyarch test");
        Ztoc z = built.ztoc();
        assertEquals(Ztoc.Compression.UNCOMPRESSED, z.compression());
        assertEquals(all.length, z.compressedArchiveSize());
        int spans = (int) ((all.length + span - 1) / span);
        assertEquals(spans - 1, z.maxSpanId());
        for (int i = 0; i < spans; i++) {
            byte[] slice = java.util.Arrays.copyOfRange(all, (int) (i * span), (int) Math.min(all.length, (i + 1) * span));
            assertEquals(io.polyarch.oci.Digest.sha256(slice).toString(), z.spanDigests().get(i), "span " + i);
        }
        // soci's TarZinfo flatbuffer {version 2, span_size, size} and the compression field, read back independently
        var read = io.polyarch.testing.ZtocReader.read(built.bytes());
        assertEquals(2, read.compression(), "Uncompressed");
        java.nio.ByteBuffer zb = java.nio.ByteBuffer.wrap(read.checkpoints()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int table = zb.getInt(0);
        int vt = table - zb.getInt(table);
        assertEquals(2, zb.getInt(table + zb.getShort(vt + 4)));
        assertEquals(span, zb.getLong(table + zb.getShort(vt + 6)));
        assertEquals(all.length, zb.getLong(table + zb.getShort(vt + 8)));
        // the TOC matches Python's tarfile, and each file's bytes are where it says
        check(tar);
        for (var f : read.files()) {
            if (!f.type().equals("reg") || f.size() == 0) continue;
            Path onDisk = root.resolve(f.name().replaceFirst("^\\./", ""));
            if (!Files.isRegularFile(onDisk)) continue;
            byte[] want = Files.readAllBytes(onDisk);
            assertTrue(java.util.Arrays.equals(want, java.util.Arrays.copyOfRange(all, (int) f.offset(), (int) (f.offset() + f.size()))), f.name());
        }
        assertTrue(java.util.Arrays.equals(built.bytes(), ZtocBuilder.fromTar(new ByteArrayInputStream(all), span, "polyarch test").bytes()));
    }

    @Test
    void aPigzLayerRoundTripsFromItsSpans(@TempDir Path dir) throws Exception {
        Path root = tree(dir);
        Path tgz = dir.resolve("layer.tgz");
        // pigz: parallel deflate with sync-flushed blocks; --independent also resets the dictionary every block
        Tools.run(List.of("sh", "-c", "tar --format=pax -C " + root + " -cf - . | pigz -p 2 -b 128 --independent > " + tgz)).requireOk("tar | pigz");
        byte[] gz = Files.readAllBytes(tgz);
        var built = ZtocBuilder.fromGzipTar(new ByteArrayInputStream(gz), 256 << 10, "polyarch test");
        var read = io.polyarch.testing.ZtocReader.read(built.bytes());
        var cps = io.polyarch.testing.ZtocReader.checkpoints(read.checkpoints());
        assertTrue(cps.size() > 3, "spans: " + cps.size());
        byte[] tar;
        try (var in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(gz))) {
            tar = in.readAllBytes();
        }
        int checked = 0;
        for (var f : read.files()) {
            if (!f.type().equals("reg") || f.size() == 0) continue;
            byte[] lazy = io.polyarch.testing.ZtocReader.extract(gz, cps, f.offset(), (int) f.size());
            assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(tar, (int) f.offset(), (int) (f.offset() + f.size())), lazy), f.name());
            checked++;
        }
        assertTrue(checked >= 4, "files checked: " + checked);
    }
}
