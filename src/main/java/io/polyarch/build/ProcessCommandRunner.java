package io.polyarch.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs real processes. An interrupted caller kills the process and its children. */
public final class ProcessCommandRunner implements CommandRunner {
    private ProcessBuilder builder(List<String> cmd, Map<String, String> env, Path dir) {
        ProcessBuilder pb = new ProcessBuilder(resolve(cmd, env));
        pb.environment().clear();
        pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        return pb;
    }

    /**
     * A bare command name is looked up on the PATH of the environment the command gets, as a shell would: the JVM
     * would look it up on its own PATH, so that a run whose environment puts another docker first would start the
     * wrong client.
     */
    static List<String> resolve(List<String> cmd, Map<String, String> env) {
        String name = cmd.get(0);
        if (name.contains("/") || !env.containsKey("PATH")) return cmd;
        for (String dir : env.get("PATH").split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path c = Path.of(dir, name);
            if (java.nio.file.Files.isRegularFile(c) && java.nio.file.Files.isExecutable(c)) {
                List<String> out = new java.util.ArrayList<>(cmd);
                out.set(0, c.toString());
                return out;
            }
        }
        return cmd;
    }

    @Override
    public Result run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        Path err = Files.createTempFile("polyarch-cmd", ".err");
        try {
            Process p = builder(cmd, env, null).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            try {
                byte[] out = p.getInputStream().readAllBytes();
                int code = p.waitFor();
                return new Result(code, new String(out, StandardCharsets.UTF_8), Files.readString(err));
            } catch (InterruptedException e) {
                kill(p);
                throw e;
            }
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /**
     * The output is read on a helper thread and this one waits for the process, so that an interruption (fastFail,
     * Ctrl-C) kills the process at once: a thread blocked reading a pipe would not notice it.
     */
    @Override
    public int stream(List<String> cmd, Map<String, String> env, Path dir, Consumer<String> lines) throws IOException, InterruptedException {
        Process p = builder(cmd, env, dir).redirectErrorStream(true).start();
        p.getOutputStream().close();
        Thread reader = lines("command-output", p.getInputStream(), lines);
        try {
            int code = p.waitFor();
            reader.join();
            return code;
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
    }

    @Override
    public <T> T read(List<String> cmd, Map<String, String> env, OutputReader<T> reader) throws IOException, InterruptedException, BuildException {
        Path err = Files.createTempFile("polyarch-cmd", ".err");
        Process p = builder(cmd, env, null).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        try (InputStream in = p.getInputStream()) {
            T value;
            try {
                value = reader.read(in);
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException | BuildException e) {
                kill(p);
                p.waitFor();
                String msg = Files.readString(err).strip();
                if (!msg.isEmpty()) throw new BuildException(String.join(" ", cmd.subList(0, Math.min(2, cmd.size()))) + " failed: " + msg);
                throw e;
            }
            int code = p.waitFor();
            if (code != 0) {
                throw new BuildException(String.join(" ", cmd.subList(0, Math.min(2, cmd.size()))) + " exited " + code + ": " + Files.readString(err).strip());
            }
            return value;
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Hands each line of {@code in} to {@code lines} on a platform thread of its own, until the stream ends. */
    private static Thread lines(String name, InputStream in, Consumer<String> lines) {
        return Thread.ofPlatform().daemon().name(name).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) lines.accept(l);
            } catch (IOException ignored) {
                // the process went away
            }
        });
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }
}
