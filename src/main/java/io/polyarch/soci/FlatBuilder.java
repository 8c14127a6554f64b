package io.polyarch.soci;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A FlatBuffers builder that lays bytes out exactly as the reference runtime does (back to front, the same
 * alignment padding, trailing-zero-trimmed vtables shared when equal), so that a zTOC written here is byte for
 * byte the one soci-snapshotter writes for the same content: same digest, same SOCI index.
 * <a href="https://flatbuffers.dev/internals/">FlatBuffers internals</a>.
 */
final class FlatBuilder {
    private byte[] buf = new byte[1024];
    /** Bytes are written from the end: {@code head} is the start of what is written so far. */
    private int head = buf.length;
    private int minAlign = 1;
    private int[] vtable;
    private int objectEnd;
    private final List<Integer> vtables = new ArrayList<>();

    /** Bytes written so far: the offset of the next thing written, counted from the end. */
    int offset() {
        return buf.length - head;
    }

    private void grow(int needed) {
        while (head < needed) {
            int old = buf.length;
            byte[] bigger = new byte[old * 2];
            System.arraycopy(buf, 0, bigger, old, old);
            buf = bigger;
            head += old;
        }
    }

    private void pad(int n) {
        for (int i = 0; i < n; i++) buf[--head] = 0;
    }

    /** Aligns so that after {@code additional} more bytes the offset is a multiple of {@code size}. */
    void prep(int size, int additional) {
        if (size > minAlign) minAlign = size;
        int alignSize = (-(offset() + additional)) & (size - 1);
        grow(alignSize + size + additional + 1);
        pad(alignSize);
    }

    private void placeInt(int v) {
        head -= 4;
        buf[head] = (byte) v;
        buf[head + 1] = (byte) (v >> 8);
        buf[head + 2] = (byte) (v >> 16);
        buf[head + 3] = (byte) (v >> 24);
    }

    private void placeShort(int v) {
        head -= 2;
        buf[head] = (byte) v;
        buf[head + 1] = (byte) (v >> 8);
    }

    private void placeLong(long v) {
        head -= 8;
        for (int i = 0; i < 8; i++) buf[head + i] = (byte) (v >> (8 * i));
    }

    void addLong(long v) {
        prep(8, 0);
        placeLong(v);
    }

    void addInt(int v) {
        prep(4, 0);
        placeInt(v);
    }

    void addByte(byte v) {
        prep(1, 0);
        buf[--head] = v;
    }

    /** An offset to something already written, relative to where it is stored. */
    void addOffset(int off) {
        prep(4, 0);
        placeInt(offset() - off + 4);
    }

    int createString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        prep(4, b.length + 1);
        buf[--head] = 0;
        head -= b.length;
        System.arraycopy(b, 0, buf, head, b.length);
        placeInt(b.length);
        return offset();
    }

    int createByteVector(byte[] v) {
        prep(4, v.length);
        head -= v.length;
        System.arraycopy(v, 0, buf, head, v.length);
        placeInt(v.length);
        return offset();
    }

    /** A vector of offsets to tables or strings, in order. */
    int createOffsetVector(int[] offsets) {
        prep(4, 4 * offsets.length);
        for (int i = offsets.length - 1; i >= 0; i--) addOffset(offsets[i]);
        placeInt(offsets.length);
        return offset();
    }

    void startTable(int fields) {
        vtable = new int[fields];
        objectEnd = offset();
    }

    private void slot(int i) {
        vtable[i] = offset();
    }

    /** Scalars equal to their schema default are not written, as the reference builders do by default. */
    void addLongField(int i, long v, long dflt) {
        if (v != dflt) {
            addLong(v);
            slot(i);
        }
    }

    void addIntField(int i, int v, int dflt) {
        if (v != dflt) {
            addInt(v);
            slot(i);
        }
    }

    void addByteField(int i, byte v, byte dflt) {
        if (v != dflt) {
            addByte(v);
            slot(i);
        }
    }

    void addOffsetField(int i, int off) {
        if (off != 0) {
            addOffset(off);
            slot(i);
        }
    }

    int endTable() {
        addInt(0); // becomes the offset to the vtable
        int objectOffset = offset();
        int n = vtable.length;
        while (n > 0 && vtable[n - 1] == 0) n--;
        int[] vt = Arrays.copyOf(vtable, n);
        int existing = 0;
        for (int i = vtables.size() - 1; i >= 0 && existing == 0; i--) {
            int vt2 = vtables.get(i);
            int start = buf.length - vt2;
            int len = (buf[start] & 0xff) | (buf[start + 1] & 0xff) << 8;
            if (len != (n + 2) * 2) continue;
            boolean same = true;
            for (int f = 0; f < n && same; f++) {
                int x = (buf[start + 4 + 2 * f] & 0xff) | (buf[start + 5 + 2 * f] & 0xff) << 8;
                int y = vt[f] == 0 ? 0 : objectOffset - vt[f];
                same = x == y;
            }
            if (same) existing = vt2;
        }
        if (existing == 0) {
            for (int f = n - 1; f >= 0; f--) {
                prep(2, 0);
                placeShort(vt[f] == 0 ? 0 : objectOffset - vt[f]);
            }
            prep(2, 0);
            placeShort(objectOffset - objectEnd);
            prep(2, 0);
            placeShort((n + 2) * 2);
            writeIntAt(buf.length - objectOffset, offset() - objectOffset);
            vtables.add(offset());
        } else {
            head = buf.length - objectOffset;
            writeIntAt(head, existing - objectOffset);
        }
        vtable = null;
        return objectOffset;
    }

    private void writeIntAt(int at, int v) {
        buf[at] = (byte) v;
        buf[at + 1] = (byte) (v >> 8);
        buf[at + 2] = (byte) (v >> 16);
        buf[at + 3] = (byte) (v >> 24);
    }

    /** Writes the root offset and returns the finished buffer. */
    byte[] finish(int root) {
        prep(minAlign, 4);
        addOffset(root);
        return Arrays.copyOfRange(buf, head, buf.length);
    }
}
