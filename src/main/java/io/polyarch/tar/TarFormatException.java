package io.polyarch.tar;

import java.io.IOException;

/** Bytes that are not the tar they should be; the message names the offset of the header at fault. */
public class TarFormatException extends IOException {
    public TarFormatException(String message) {
        super(message);
    }
}
