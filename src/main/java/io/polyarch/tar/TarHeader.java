package io.polyarch.tar;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One 512-byte tar header block, decoded: ustar (with its name prefix), GNU and old-style v7 headers, numbers in
 * octal or GNU base-256, the checksum verified (unsigned or, as some old tars wrote it, signed). The one decoder of
 * the project: the Docker-archive reader and the SOCI TOC builder both use it. PAX records ({@link #paxRecords}) and
 * GNU long names ({@link #longName}) come in their own entries before the header they apply to.
 *
 * @param name     the entry's name, with the ustar prefix joined on
 * @param type     the type flag ({@code '0'} for a file; an old-style NUL is reported as {@code '0'})
 * @param mtime    seconds since the epoch
 */
public record TarHeader(String name, char type, long mode, long uid, long gid, long size, long mtime, String linkName, String uname,
                        String gname, long devMajor, long devMinor) {
    public static final int BLOCK = 512;
    /** PAX and GNU long-name entries larger than this are refused: no real archive has one, and each is read into memory. */
    public static final int MAX_METADATA = 1 << 20;

    /** True for a PAX ({@code x}, {@code g}) or GNU long-name ({@code L}, {@code K}) entry, whose data describes the next header. */
    public boolean isMetadata() {
        return type == 'x' || type == 'g' || type == 'L' || type == 'K';
    }

    /** A regular file (also the contiguous-file type, which readers treat as one). */
    public boolean isFile() {
        return type == '0' || type == '7';
    }

    /** The zero bytes after {@code size} bytes of data that fill its last block. */
    public static long padding(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    public static boolean isZero(byte[] block) {
        for (byte b : block) if (b != 0) return false;
        return true;
    }

    /**
     * @param offset where the block starts in the archive, for messages
     * @throws TarFormatException when the checksum does not match or a number field is not a number
     */
    public static TarHeader decode(byte[] block, long offset) throws TarFormatException {
        if (block.length != BLOCK) throw new IllegalArgumentException("a tar header is 512 bytes");
        long stored = number(block, 148, 8, offset);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : block[i];
            unsigned += b & 0xff;
            signed += (byte) b;
        }
        if (stored != unsigned && stored != signed) throw new TarFormatException("not a tar stream: bad header checksum at offset " + offset);
        String name = str(block, 0, 100);
        String prefix = str(block, 345, 155);
        if (!prefix.isEmpty() && str(block, 257, 5).equals("ustar")) name = prefix + "/" + name;
        char type = block[156] == 0 ? '0' : (char) (block[156] & 0xff);
        return new TarHeader(name, type, number(block, 100, 8, offset), number(block, 108, 8, offset), number(block, 116, 8, offset),
                number(block, 124, 12, offset), number(block, 136, 12, offset), str(block, 157, 100), str(block, 265, 32), str(block, 297, 32),
                number(block, 329, 8, offset), number(block, 337, 8, offset));
    }

    /** Checks that a metadata entry's size can be read into memory. */
    public void checkMetadataSize(long offset) throws TarFormatException {
        if (size < 0 || size > MAX_METADATA) {
            throw new TarFormatException("tar metadata entry (type '" + type + "') of " + size + " bytes at offset " + offset
                    + " is larger than " + MAX_METADATA + " bytes: refused");
        }
    }

    /** A GNU long name or long link: the entry's bytes up to the first NUL. */
    public static String longName(byte[] body) {
        int end = 0;
        while (end < body.length && body[end] != 0) end++;
        return new String(body, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * PAX records, {@code "LEN key=value\n"} each, LEN counting the whole record in bytes.
     *
     * @param offset where the body starts in the archive, for messages
     */
    public static Map<String, String> paxRecords(byte[] body, long offset) throws TarFormatException {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < body.length) {
            int sp = i;
            while (sp < body.length && sp - i < 20 && body[sp] != ' ') sp++;
            int len;
            try {
                len = Integer.parseInt(new String(body, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new TarFormatException("malformed PAX record at offset " + (offset + i));
            }
            if (sp >= body.length || body[sp] != ' ' || len <= sp - i + 1 || i + len > body.length || body[i + len - 1] != '\n') {
                throw new TarFormatException("malformed PAX record at offset " + (offset + i));
            }
            String rec = new String(body, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq > 0) out.put(rec.substring(0, eq), rec.substring(eq + 1));
            i += len;
        }
        return out;
    }

    private static String str(byte[] b, int off, int len) {
        int e = off;
        while (e < off + len && b[e] != 0) e++;
        return new String(b, off, e - off, StandardCharsets.UTF_8);
    }

    /** Octal (NUL- or space-terminated), or GNU base-256: the first byte's high bit set, its other 7 bits the top of the value. */
    private static long number(byte[] b, int off, int len, long at) throws TarFormatException {
        if ((b[off] & 0x80) != 0) {
            if ((b[off] & 0x40) != 0) throw new TarFormatException("negative base-256 number in the tar header at offset " + at);
            long v = b[off] & 0x3f;
            for (int i = off + 1; i < off + len; i++) {
                if (v > (Long.MAX_VALUE >>> 8)) throw new TarFormatException("base-256 number too large in the tar header at offset " + at);
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        String s = str(b, off, len).trim();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new TarFormatException("not a tar stream: header field '" + s.replaceAll("\\p{Cntrl}", "?") + "' is not an octal number (header at offset " + at + ")");
        }
    }
}
