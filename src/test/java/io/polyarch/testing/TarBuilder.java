package io.polyarch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/** Writes ustar archives for test layers: regular files, directories, symlinks. */
public final class TarBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public TarBuilder dir(String name) {
        return entry(name.endsWith("/") ? name : name + "/", '5', new byte[0], 0755, null);
    }

    public TarBuilder file(String name, byte[] content, int mode) {
        return entry(name, '0', content, mode, null);
    }

    public TarBuilder symlink(String name, String target) {
        return entry(name, '2', new byte[0], 0777, target);
    }

    private TarBuilder entry(String name, char type, byte[] content, int mode, String link) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        put(h, 100, 8, String.format("%07o", mode));
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, String.format("%011o", content.length));
        put(h, 136, 12, String.format("%011o", 1700000000L));
        for (int i = 148; i < 156; i++) h[i] = ' ';
        h[156] = (byte) type;
        if (link != null) put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        put(h, 263, 2, "00");
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, 8, String.format("%06o", sum) + "\0 ");
        out.writeBytes(h);
        out.writeBytes(content);
        int pad = (512 - content.length % 512) % 512;
        out.writeBytes(new byte[pad]);
        return this;
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    public byte[] tar() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(out.toByteArray());
        copy.writeBytes(new byte[1024]);
        return copy.toByteArray();
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream g = new GZIPOutputStream(b)) {
            g.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return b.toByteArray();
    }
}
