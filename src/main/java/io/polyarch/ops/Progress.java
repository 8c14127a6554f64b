package io.polyarch.ops;

/** Where library code reports what it is doing; the CLI decides how (or whether) to show it. */
@FunctionalInterface
public interface Progress {
    void event(String message);

    Progress NONE = m -> {
    };
}
