package io.polyarch.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The seam between builders and the processes they run (docker, buildah), so drivers can be tested
 * without running anything. The environment is passed in full: library code never reads the process's own.
 */
public interface CommandRunner {
    record Result(int exit, String out, String err) {
    }

    /** Runs a short command and captures its output. */
    Result run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException;

    /** Runs a command in {@code dir}, handing each line of its merged output to {@code lines}; returns the exit code. */
    int stream(List<String> cmd, Map<String, String> env, Path dir, Consumer<String> lines) throws IOException, InterruptedException;

    /** Runs a command and lets {@code reader} consume its standard output; standard error is captured for the message. */
    <T> T read(List<String> cmd, Map<String, String> env, OutputReader<T> reader) throws IOException, InterruptedException, BuildException;

    @FunctionalInterface
    interface OutputReader<T> {
        T read(InputStream stdout) throws IOException, BuildException;
    }
}
