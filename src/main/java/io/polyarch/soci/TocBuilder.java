package io.polyarch.soci;

import io.polyarch.tar.TarFormatException;
import io.polyarch.tar.TarHeader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TOC of a layer, built while its bytes stream past (a {@link GzipIndexer.Sink}, so one pass produces the
 * checkpoints and the TOC together). Reads ustar, GNU long names and links, and PAX records (path, linkpath,
 * size, uid, gid, uname, gname, mtime with sub-second precision); records every entry as soci-snapshotter does:
 * the offset of its data, its size, type ({@code reg}, {@code dir}, {@code symlink}, {@code hardlink},
 * {@code char}, {@code block}, {@code fifo}), owner, mode, RFC 3339 mod time and the raw PAX records.
 */
public final class TocBuilder implements GzipIndexer.Sink {
    /** Not a tar stream, or a tar entry soci cannot describe; the message names the entry and offset. */
    public static final class TarException extends TarFormatException {
        TarException(String message) {
            super(message);
        }
    }

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private final List<Ztoc.FileMetadata> files = new ArrayList<>();
    private final byte[] header = new byte[512];
    private int headerFill;
    private long pos;
    private long skip;             // data and padding still to pass over
    private byte[] meta;           // a PAX or GNU long-name body being collected
    private int metaFill;
    private char metaType;
    private long metaPadding;
    private Map<String, String> pax = new LinkedHashMap<>();
    private String longName;
    private String longLink;
    private int zeroBlocks;
    private long endOfArchive = -1;

    public List<Ztoc.FileMetadata> files() {
        return List.copyOf(files);
    }

    /** Where the end-of-archive marker ended (the two zero blocks), as Go's tar reader leaves its position; -1 if none. */
    public long endOfArchive() {
        return endOfArchive;
    }

    /** Call at the end: a tar that stops inside an entry is an error. */
    public void finish() throws TarException {
        if (endOfArchive < 0 && (skip > 0 || headerFill > 0 || meta != null)) {
            throw new TarException("the tar stream ends inside an entry at offset " + pos + " (truncated layer?)");
        }
        if (files.isEmpty() && endOfArchive < 0 && pos > 0) throw new TarException("not a tar stream: no entry and no end-of-archive marker");
    }

    @Override
    public void data(byte[] b, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            if (endOfArchive >= 0) {
                pos += end - off;
                return;
            }
            if (skip > 0) {
                int n = (int) Math.min(skip, end - off);
                skip -= n;
                off += n;
                pos += n;
                continue;
            }
            if (meta != null) {
                int n = Math.min(meta.length - metaFill, end - off);
                System.arraycopy(b, off, meta, metaFill, n);
                metaFill += n;
                off += n;
                pos += n;
                if (metaFill == meta.length) {
                    applyMeta();
                    skip = metaPadding;
                }
                continue;
            }
            int n = Math.min(512 - headerFill, end - off);
            System.arraycopy(b, off, header, headerFill, n);
            headerFill += n;
            off += n;
            pos += n;
            if (headerFill == 512) {
                headerFill = 0;
                header();
            }
        }
    }

    private void header() throws TarException {
        if (TarHeader.isZero(header)) {
            if (++zeroBlocks == 2) endOfArchive = pos;
            return;
        }
        zeroBlocks = 0;
        long headerAt = pos - TarHeader.BLOCK;
        TarHeader h;
        try {
            h = TarHeader.decode(header, headerAt);
        } catch (TarFormatException e) {
            throw new TarException(e.getMessage());
        }
        char type = h.type();
        long size = h.size();
        if (type == 'x' || type == 'L' || type == 'K') {
            try {
                h.checkMetadataSize(headerAt);
            } catch (TarFormatException e) {
                throw new TarException(e.getMessage());
            }
            meta = new byte[(int) size];
            metaFill = 0;
            metaType = type;
            metaPadding = TarHeader.padding(size);
            if (size == 0) {
                applyMeta();
                skip = 0;
            }
            return;
        }
        String fileType = switch (type) {
            case '0', '7' -> "reg";
            case '1' -> "hardlink";
            case '2' -> "symlink";
            case '3' -> "char";
            case '4' -> "block";
            case '5' -> "dir";
            case '6' -> "fifo";
            default -> throw new TarException("tar entry of type '" + type + "' at offset " + headerAt + " cannot be indexed (SOCI supports regular files, "
                    + "directories, links, devices and FIFOs)");
        };
        String name = longName != null ? longName : h.name();
        String link = longLink != null ? longLink : h.linkName();
        long uid = h.uid();
        long gid = h.gid();
        String uname = h.uname();
        String gname = h.gname();
        String mtime = null;
        if (pax.containsKey("path")) name = pax.get("path");
        if (pax.containsKey("linkpath")) link = pax.get("linkpath");
        if (pax.containsKey("size")) size = parseLong(pax.get("size"), "size", headerAt);
        if (pax.containsKey("uid")) uid = parseLong(pax.get("uid"), "uid", headerAt);
        if (pax.containsKey("gid")) gid = parseLong(pax.get("gid"), "gid", headerAt);
        if (pax.containsKey("uname")) uname = pax.get("uname");
        if (pax.containsKey("gname")) gname = pax.get("gname");
        if (pax.containsKey("mtime")) mtime = paxTime(pax.get("mtime"), headerAt);
        if (mtime == null) mtime = RFC3339.format(Instant.ofEpochSecond(h.mtime())) + "Z";
        // link, device, directory and FIFO entries have no data in the stream, whatever their size field says; the
        // size is recorded as written, as Go's tar reader reports it
        boolean headerOnly = !fileType.equals("reg");
        files.add(new Ztoc.FileMetadata(name, fileType, pos, size, link, h.mode(), (int) uid, (int) gid, uname, gname, mtime, h.devMajor(), h.devMinor(), pax));
        pax = new LinkedHashMap<>();
        longName = null;
        longLink = null;
        skip = headerOnly ? 0 : size + TarHeader.padding(size);
    }

    private void applyMeta() throws TarException {
        byte[] body = meta;
        meta = null;
        if (metaType == 'L' || metaType == 'K') {
            String s = TarHeader.longName(body);
            if (metaType == 'L') longName = s;
            else longLink = s;
            return;
        }
        try {
            pax.putAll(TarHeader.paxRecords(body, pos - body.length));
        } catch (TarFormatException e) {
            throw new TarException(e.getMessage());
        }
    }

    private static long parseLong(String v, String what, long at) throws TarException {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new TarException("PAX " + what + " '" + v + "' is not a number (entry at offset " + at + ")");
        }
    }

    /** PAX mtime {@code 1700000000.123456789} in RFC 3339 with the fraction's trailing zeros dropped, as Go writes it. */
    static String paxTime(String v, long at) throws TarException {
        try {
            String[] parts = v.trim().split("\\.", 2);
            long sec = Long.parseLong(parts[0]);
            String base = RFC3339.format(Instant.ofEpochSecond(sec));
            if (parts.length == 1) return base + "Z";
            String frac = (parts[1] + "000000000").substring(0, 9).replaceAll("0+$", "");
            return base + (frac.isEmpty() ? "" : "." + frac) + "Z";
        } catch (NumberFormatException e) {
            throw new TarException("PAX mtime '" + v + "' is not a time (entry at offset " + at + ")");
        }
    }
}
