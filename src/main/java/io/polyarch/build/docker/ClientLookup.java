package io.polyarch.build.docker;

import io.polyarch.oci.Platform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where the docker client is and where it looks: its binary on PATH, its config directory, its plugin directories. */
final class ClientLookup {
    private ClientLookup() {
    }

    /** {@code docker} as PATH finds it, then Debian's {@code /usr/bin/docker}; once when both are the same file. */
    static List<String> defaultCandidates(Map<String, String> env) {
        List<String> out = new ArrayList<>(List.of("docker", "/usr/bin/docker"));
        Path onPath = resolve("docker", env).orElse(null);
        try {
            Path debian = Path.of("/usr/bin/docker");
            if (onPath != null && Files.exists(debian) && Files.isSameFile(onPath, debian)) out.remove("/usr/bin/docker");
        } catch (java.io.IOException e) {
            // keep both
        }
        return out;
    }

    /** The file {@code bin} names: itself when it has a slash, else the first executable {@code bin} on PATH. */
    static Optional<Path> resolve(String bin, Map<String, String> env) {
        if (bin.contains("/")) return Files.isRegularFile(Path.of(bin)) ? Optional.of(Path.of(bin)) : Optional.empty();
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path c = Path.of(dir, bin);
            if (Files.isRegularFile(c) && Files.isExecutable(c)) return Optional.of(c);
        }
        return Optional.empty();
    }

    /**
     * The {@code docker-buildx} plugin a Linux client would load with {@code env} (empty inside: none), or empty when
     * that cannot be told from the directories alone (the client config adds plugin directories, or cannot be read).
     */
    static Optional<Optional<Path>> buildxPlugin(Map<String, String> env) {
        Path config = clientConfigDir(env);
        try {
            Path json = config.resolve("config.json");
            if (Files.isRegularFile(json) && Files.readString(json).contains("cliPluginsExtraDirs")) return Optional.empty();
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
        for (Path dir : List.of(config.resolve("cli-plugins"), Path.of("/usr/local/lib/docker/cli-plugins"),
                Path.of("/usr/local/libexec/docker/cli-plugins"), Path.of("/usr/lib/docker/cli-plugins"), Path.of("/usr/libexec/docker/cli-plugins"))) {
            if (Files.exists(dir.resolve("docker-buildx"))) return Optional.of(Optional.of(dir.resolve("docker-buildx")));
        }
        return Optional.of(Optional.empty());
    }

    /**
     * Whether {@code docker buildx} could exist: a {@code docker-buildx} file in one of the directories the docker
     * client loads plugins from (its config directory's {@code cli-plugins} and the system ones). Off Linux, or when
     * the client config names extra plugin directories, it is assumed to exist, and the probe decides.
     */
    static boolean buildxPluginMayExist(Map<String, String> env, Platform host) {
        return buildxPluginMayExist(onLinux(host) ? buildxPlugin(env) : Optional.empty(), host);
    }

    /** As {@link #buildxPluginMayExist(Map, Platform)}, from what {@link #buildxPlugin} found. */
    static boolean buildxPluginMayExist(Optional<Optional<Path>> plugin, Platform host) {
        return !onLinux(host) || plugin.map(Optional::isPresent).orElse(true);
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
