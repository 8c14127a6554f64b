package io.polyarch.build.docker;

import io.polyarch.oci.Platform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Where the docker client is and where it looks: its binary on PATH, its config directory, its plugin directories. */
final class ClientLookup {
    private ClientLookup() {
    }

    /** {@code docker} as PATH finds it, then Debian's {@code /usr/bin/docker}; once when both are the same file. */
    static List<String> defaultCandidates(Map<String, String> env) {
        List<String> out = new ArrayList<>(List.of("docker", "/usr/bin/docker"));
        Path onPath = null;
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path c = Path.of(dir, "docker");
            if (Files.isRegularFile(c) && Files.isExecutable(c)) {
                onPath = c;
                break;
            }
        }
        try {
            Path debian = Path.of("/usr/bin/docker");
            if (onPath != null && Files.exists(debian) && Files.isSameFile(onPath, debian)) out.remove("/usr/bin/docker");
        } catch (java.io.IOException e) {
            // keep both
        }
        return out;
    }

    /**
     * Whether {@code docker buildx} could exist: a {@code docker-buildx} file in one of the directories the docker
     * client loads plugins from (its config directory's {@code cli-plugins} and the system ones). Off Linux, or when
     * the client config names extra plugin directories, it is assumed to exist, and the probe decides.
     */
    static boolean buildxPluginMayExist(Map<String, String> env, Platform host) {
        if (!onLinux(host)) return true;
        Path config = clientConfigDir(env);
        try {
            Path json = config.resolve("config.json");
            if (Files.isRegularFile(json) && Files.readString(json).contains("cliPluginsExtraDirs")) return true;
        } catch (java.io.IOException | RuntimeException e) {
            return true;
        }
        for (Path dir : List.of(config.resolve("cli-plugins"), Path.of("/usr/local/lib/docker/cli-plugins"),
                Path.of("/usr/local/libexec/docker/cli-plugins"), Path.of("/usr/lib/docker/cli-plugins"), Path.of("/usr/libexec/docker/cli-plugins"))) {
            if (Files.exists(dir.resolve("docker-buildx"))) return true;
        }
        return false;
    }

    /** The docker client's config directory: {@code $DOCKER_CONFIG}, else {@code ~/.docker}. */
    static Path clientConfigDir(Map<String, String> env) {
        return env.containsKey("DOCKER_CONFIG") ? Path.of(env.get("DOCKER_CONFIG"))
                : Path.of(env.getOrDefault("HOME", "/"), ".docker");
    }

    /** Where the client's plugin directories and the engine's default socket are the Linux ones. */
    static boolean onLinux(Platform host) {
        return "linux".equals(host.os());
    }
}
