package io.polyarch.build;

/** Where a build's output lines go; the CLI prefixes them with the platform. */
@FunctionalInterface
public interface BuildLog {
    void line(String line);
}
