package io.polyarch.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the independent tools the tests check our output with: skopeo, docker, oci-image-tool, git. */
public final class Tools {
    private Tools() {
    }

    public record Result(int code, String out, String err) {
        public Result requireOk(String what) {
            if (code != 0) throw new AssertionError(what + " exited " + code + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    public static Result run(List<String> cmd) {
        return run(cmd, null, Map.of(), 600);
    }

    public static Result run(List<String> cmd, Path dir, Map<String, String> env, int timeoutSeconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (dir != null) pb.directory(dir.toFile());
            pb.environment().putAll(env);
            Path errFile = java.nio.file.Files.createTempFile("tool-err", ".txt");
            pb.redirectError(errFile.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s");
            }
            String err = java.nio.file.Files.readString(errFile);
            java.nio.file.Files.deleteIfExists(errFile);
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), err);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Debian's docker client (20.10), which has BuildKit; the one first on PATH may not. */
    public static String docker() {
        return java.nio.file.Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    }
}
