package io.polyarch.build.buildah;

import io.polyarch.build.BuildException;
import io.polyarch.build.BuildLog;
import io.polyarch.build.BuildOutput;
import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.build.CommandRunner;
import io.polyarch.build.LogTail;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Platform;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Builds with buildah, daemonless ({@code --isolation chroot}, which works inside containers such as
 * CodeBuild's), and writes the result with {@code buildah push} to an OCI layout directory.
 */
public final class BuildahBuilder implements Builder {
    private final CommandRunner runner;
    private final Map<String, String> env;
    private final String version;
    private final Platform nativePlatform;
    private final ReentrantLock lock = new ReentrantLock();

    private BuildahBuilder(CommandRunner runner, Map<String, String> env, String version, Platform nativePlatform) {
        this.runner = runner;
        this.env = env;
        this.version = version;
        this.nativePlatform = nativePlatform;
    }

    public static BuildahBuilder detect(CommandRunner runner, Map<String, String> env, Platform host) throws BuildException, InterruptedException {
        try {
            CommandRunner.Result r = runner.run(List.of("buildah", "version", "--json"), env);
            if (r.exit() != 0) throw new BuildException("buildah does not work here: " + r.err().strip());
            String v = r.out().replaceAll("(?s).*\"version\"\\s*:\\s*\"([^\"]+)\".*", "$1");
            return new BuildahBuilder(runner, env, v, host);
        } catch (IOException e) {
            throw new BuildException("buildah is not installed (Debian: apt-get install buildah): " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "buildah " + version + " (chroot isolation, " + nativePlatform + ")";
    }

    @Override
    public Platform nativePlatform() {
        return nativePlatform;
    }

    @Override
    public boolean usesLocalEmulation() {
        return true;
    }

    @Override
    public boolean needsPinnedBases() {
        return true;
    }

    @Override
    public java.util.Optional<String> cannot(io.polyarch.build.BuildExtras extras) {
        if ("none".equals(extras.network())) {
            return java.util.Optional.of("buildah with --isolation chroot runs RUN steps on the host's network, so it cannot take --network none; "
                    + "use docker (BuildKit), or --network host");
        }
        return java.util.Optional.empty();
    }

    @Override
    public BuildOutput build(BuildRequest req, BuildLog log) throws BuildException, InterruptedException {
        String image = "localhost/" + req.name();
        List<String> cmd = new ArrayList<>(List.of("buildah", "build", "--isolation", "chroot", "--pull", "--layers",
                "--platform", req.platform().toString(), "-f", req.dockerfile().toString(), "-t", image,
                "--iidfile", req.scratch().resolve("iid").toString()));
        if (req.insecureBases()) cmd.add("--tls-verify=false");
        cmd.addAll(LogTail.argsAndContext(req));
        LogTail tail = new LogTail(log);
        boolean locked = false;
        if (req.serialize()) {
            lock.lockInterruptibly();
            locked = true;
        }
        try {
            long started = System.nanoTime();
            int code = runner.stream(cmd, env, req.context(), tail::line);
            if (code != 0) {
                throw new BuildException("buildah build for " + req.platform() + " failed (exit " + code + "):\n" + tail.text());
            }
            long engineMs = (System.nanoTime() - started) / 1_000_000;
            Path layoutDir = req.scratch().resolve("layout");
            // pushed by ID: a concurrent run of the same repository may move the name meanwhile
            String id = java.nio.file.Files.readString(req.scratch().resolve("iid")).strip();
            CommandRunner.Result push = runner.run(List.of("buildah", "push", "--quiet", id, "oci:" + layoutDir + ":" + BuildOutput.TAG), env);
            if (push.exit() != 0) throw new BuildException("buildah push to " + layoutDir + " failed: " + push.err().strip());
            try (OciLayoutStore layout = OciLayoutStore.open(layoutDir, false)) {
                var m = layout.headManifest(BuildOutput.TAG)
                        .orElseThrow(() -> new BuildException("buildah push wrote no image tagged " + BuildOutput.TAG + " in " + layoutDir));
                return new BuildOutput(layoutDir, m.digest(), engineMs, id);
            }
        } catch (IOException e) {
            throw new BuildException("cannot run buildah: " + e.getMessage(), e);
        } catch (StoreException e) {
            throw new BuildException("cannot read buildah's output: " + e.getMessage(), e);
        } finally {
            if (locked) lock.unlock();
        }
    }
}
