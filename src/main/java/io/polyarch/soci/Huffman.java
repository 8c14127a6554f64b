package io.polyarch.soci;

import java.io.IOException;

/** A canonical Huffman code as one lookup table indexed by the next maxLen bits (bit-reversed, as deflate stores them). */
final class Huffman {
    /** Where a code is read from: the compressed stream's next bits, least significant first. */
    interface Bits {
        int peek(int n) throws IOException;

        void consume(int n) throws IOException;

        long position();
    }

    final int maxLen;
    final int[] table; // symbol << 4 | length; 0 = invalid

    private Huffman(int maxLen, int[] table) {
        this.maxLen = maxLen;
        this.table = table;
    }

    static final Huffman FIXED_LIT;
    static final Huffman FIXED_DIST;

    static {
        int[] l = new int[288];
        for (int i = 0; i < 144; i++) l[i] = 8;
        for (int i = 144; i < 256; i++) l[i] = 9;
        for (int i = 256; i < 280; i++) l[i] = 7;
        for (int i = 280; i < 288; i++) l[i] = 8;
        int[] d = new int[30];
        java.util.Arrays.fill(d, 5);
        try {
            FIXED_LIT = of(l, 288);
            FIXED_DIST = of(d, 30);
        } catch (GzipIndexer.FormatException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static Huffman of(int[] lengths, int n) throws GzipIndexer.FormatException {
        int max = 0;
        int[] count = new int[16];
        for (int i = 0; i < n; i++) {
            count[lengths[i]]++;
            max = Math.max(max, lengths[i]);
        }
        if (max == 0) return new Huffman(1, new int[2]); // no codes: any use is an error
        count[0] = 0;
        int left = 1;
        for (int len = 1; len <= 15; len++) {
            left <<= 1;
            left -= count[len];
            if (left < 0) throw new GzipIndexer.FormatException("over-subscribed Huffman code");
        }
        int[] next = new int[16];
        int code = 0;
        for (int len = 1; len <= 15; len++) {
            code = (code + count[len - 1]) << 1;
            next[len] = code;
        }
        int[] table = new int[1 << max];
        for (int sym = 0; sym < n; sym++) {
            int len = lengths[sym];
            if (len == 0) continue;
            int c = next[len]++;
            int rev = Integer.reverse(c) >>> (32 - len);
            for (int fill = rev; fill < table.length; fill += 1 << len) table[fill] = sym << 4 | len;
        }
        return new Huffman(max, table);
    }

    int decode(Bits r) throws IOException {
        int e = table[r.peek(maxLen)];
        if (e == 0) throw new GzipIndexer.FormatException("invalid Huffman code at byte " + r.position() / 8);
        r.consume(e & 15);
        return e >>> 4;
    }
}
