package io.polyarch.tar;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The one tar header decoder, against headers written by hand and by GNU tar itself. */
class TarHeaderTest {
    static byte[] header(String name, char type, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0001750");
        put(h, 116, "0001750");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "14712345670");
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        put(h, 265, "builder");
        return checksum(h);
    }

    static byte[] checksum(byte[] h) {
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        return h;
    }

    static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    @Test
    void decodesAUstarHeader() throws Exception {
        byte[] h = header("usr/bin/app", '0', 1234);
        put(h, 345, "opt");
        TarHeader t = TarHeader.decode(checksum(h), 0);
        assertEquals("opt/usr/bin/app", t.name(), "the ustar prefix is joined on");
        assertEquals(1234, t.size());
        assertEquals(0644, t.mode());
        assertEquals(1000, t.uid());
        assertEquals("builder", t.uname());
        assertEquals(014712345670L, t.mtime());
        assertTrue(t.isFile());
    }

    @Test
    void aWrongChecksumIsNotATar() {
        byte[] h = header("a", '0', 1);
        h[0] = 'b';
        TarFormatException e = assertThrows(TarFormatException.class, () -> TarHeader.decode(h, 1536));
        assertTrue(e.getMessage().contains("bad header checksum at offset 1536"), e.getMessage());
    }

    @Test
    void aSignedChecksumAsOldTarsWroteItIsAccepted() throws Exception {
        byte[] h = header("caf\u00e9", '0', 1);
        put(h, 0, "caf");
        h[3] = (byte) 0xe9; // a byte above 127 counts negative in a signed sum
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long signed = 0;
        for (byte b : h) signed += b;
        put(h, 148, String.format("%06o", signed));
        h[154] = 0;
        assertEquals(1, TarHeader.decode(h, 0).size());
    }

    @Test
    void base256SizesKeepTheBitsOfTheFirstByte() throws Exception {
        // 24 GiB + 5 does not fit octal's 11 digits; GNU tar writes it base-256: 0x80, then the value big-endian
        long v = 24L * 1024 * 1024 * 1024 + 5;
        byte[] h = header("big", '0', 0);
        for (int i = 124; i < 136; i++) h[i] = 0;
        h[124] = (byte) 0x80;
        for (int i = 0; i < 8; i++) h[135 - i] = (byte) (v >>> (8 * i));
        assertEquals(v, TarHeader.decode(checksum(h), 0).size());
        // an 8-byte field (uid) whose first byte carries value bits: 0x81 then 0x00... is 2^56, which a decoder that
        // drops the first byte's bits reads as 0
        byte[] u = header("uid", '0', 1);
        for (int i = 108; i < 116; i++) u[i] = 0;
        u[108] = (byte) 0x81;
        assertEquals(1L << 56, TarHeader.decode(checksum(u), 0).uid());
        // 0x81 then eleven zero bytes is 2^88: beyond a long, refused rather than wrapped
        byte[] huge = header("huge", '0', 0);
        for (int i = 124; i < 136; i++) huge[i] = 0;
        huge[124] = (byte) 0x81;
        assertThrows(TarFormatException.class, () -> TarHeader.decode(checksum(huge), 0));
    }

    @Test
    void aNumberFieldThatIsNotOctalIsNamed() {
        byte[] h = header("a", '0', 1);
        put(h, 124, "9999abc\u001b[2J");
        TarFormatException e = assertThrows(TarFormatException.class, () -> TarHeader.decode(checksum(h), 512));
        assertTrue(e.getMessage().contains("not an octal number") && !e.getMessage().contains("\u001b"), e.getMessage());
    }

    @Test
    void paxRecordsAreParsedAndMalformedOnesRefused() throws Exception {
        String rec1 = "path=a/very/long/name\n";
        String r1 = (rec1.length() + 3) + " " + rec1;
        String rec2 = "mtime=1700000000.5\n";
        String r2 = (rec2.length() + 3) + " " + rec2;
        Map<String, String> m = TarHeader.paxRecords((r1 + r2).getBytes(StandardCharsets.UTF_8), 0);
        assertEquals("a/very/long/name", m.get("path"));
        assertEquals("1700000000.5", m.get("mtime"));
        assertThrows(TarFormatException.class, () -> TarHeader.paxRecords("99 path=x\n".getBytes(StandardCharsets.UTF_8), 0), "length past the end");
        assertThrows(TarFormatException.class, () -> TarHeader.paxRecords("x path=x\n".getBytes(StandardCharsets.UTF_8), 0), "no length");
        assertThrows(TarFormatException.class, () -> TarHeader.paxRecords("9 path=xy".getBytes(StandardCharsets.UTF_8), 0), "no newline");
    }

    @Test
    void metadataEntriesLargerThanTheCapAreRefusedBeforeAnyAllocation() throws Exception {
        TarHeader pax = TarHeader.decode(header("PaxHeaders/x", 'x', 2L << 30), 0);
        assertTrue(pax.isMetadata());
        TarFormatException e = assertThrows(TarFormatException.class, () -> pax.checkMetadataSize(0));
        assertTrue(e.getMessage().contains("2147483648 bytes") && e.getMessage().contains("refused"), e.getMessage());
        TarHeader.decode(header("PaxHeaders/x", 'x', 4096), 0).checkMetadataSize(0);
    }

    @Test
    void readsTheHeadersGnuTarWrites(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")), "GNU tar");
        String longName = "d/" + "n".repeat(150) + "/file.txt";
        Files.createDirectories(dir.resolve("src").resolve(longName).getParent());
        Files.writeString(dir.resolve("src").resolve(longName), "hello");
        for (String format : new String[]{"gnu", "pax", "ustar"}) {
            Path out = dir.resolve(format + ".tar");
            Process p = new ProcessBuilder("tar", "--format=" + format, "-cf", out.toString(), "-C", dir.resolve("src").toString(), longName)
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), log);
            assertEquals(longName, lastName(Files.readAllBytes(out)), format);
        }
    }

    /** The name of the last file entry, applying long names and PAX paths as a reader must. */
    private static String lastName(byte[] tar) throws IOException {
        String pending = null;
        String last = null;
        for (int off = 0; off + 512 <= tar.length; ) {
            byte[] block = java.util.Arrays.copyOfRange(tar, off, off + 512);
            if (TarHeader.isZero(block)) break;
            TarHeader h = TarHeader.decode(block, off);
            byte[] body = java.util.Arrays.copyOfRange(tar, off + 512, (int) (off + 512 + h.size()));
            if (h.type() == 'L') pending = TarHeader.longName(body);
            else if (h.type() == 'x') pending = TarHeader.paxRecords(body, off + 512).getOrDefault("path", pending);
            else if (h.isFile()) {
                last = pending != null ? pending : h.name();
                pending = null;
            }
            off += 512 + (int) (h.size() + TarHeader.padding(h.size()));
        }
        return last;
    }
}
