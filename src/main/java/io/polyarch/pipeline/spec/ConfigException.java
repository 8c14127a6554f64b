package io.polyarch.pipeline.spec;

/** A config problem: the message names the file, line and field, and what would fix it (exit code 2). */
public final class ConfigException extends io.polyarch.error.PolyarchException {
    public ConfigException(String message) {
        super(Kind.USAGE, message, null);
    }
}
