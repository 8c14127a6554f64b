package io.polyarch.cli;

import java.io.PrintWriter;
import java.util.Map;

/** Streams and environment for one CLI invocation; nothing global. */
final class Context {
    final PrintWriter out;
    final PrintWriter err;
    final Map<String, String> env;
    private volatile boolean debug;
    private volatile String signal; // INT or TERM once the process was asked to stop
    private volatile boolean interactive;

    Context(PrintWriter out, PrintWriter err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = Map.copyOf(env);
    }

    /** The directory the command was started in ({@code PWD}, as the shell gives it). */
    java.nio.file.Path cwd() {
        return java.nio.file.Path.of(env.getOrDefault("PWD", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /** This machine's platform, from the JVM (the one place it is read). */
    io.polyarch.oci.Platform host() {
        return io.polyarch.oci.Platform.of(System.getProperty("os.name", "linux"), System.getProperty("os.arch", "amd64"));
    }

    /** The user's home directory: {@code HOME}, else the JVM's. */
    java.nio.file.Path home() {
        return java.nio.file.Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
    }

    /** The environment handed to library code: {@code HOME} filled in from the JVM where the shell gave none. */
    Map<String, String> libraryEnv() {
        if (env.containsKey("HOME")) return env;
        Map<String, String> m = new java.util.HashMap<>(env);
        m.put("HOME", home().toString());
        return Map.copyOf(m);
    }

    /** The signal that asked this invocation to stop ({@code INT}, {@code TERM}), or null. */
    String signal() {
        return signal;
    }

    void signal(String s) {
        signal = s;
    }

    /** The exit code of a process stopped by a signal, as shells report it: 130 for INT, 143 for TERM. */
    int signalExitCode() {
        return "TERM".equals(signal) ? 143 : 130;
    }

    boolean debug() {
        return debug;
    }

    /** True when standard error is a terminal, so live status lines make sense. */
    boolean interactive() {
        return interactive;
    }

    void interactive(boolean i) {
        interactive = i;
    }

    void debug(boolean d) {
        debug = d;
    }
}
