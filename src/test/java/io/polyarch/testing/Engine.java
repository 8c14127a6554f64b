package io.polyarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Docker engine the tests run polyarch on, with the environment that makes polyarch (and the docker client the
 * checks use) talk to it: the machine's own engine (Debian 12's 20.10), and the two Docker 26 engines
 * {@code scripts/engines.sh} starts (containerd image store, classic store, each with buildx).
 */
public record Engine(String name, String docker, Map<String, String> env) {
    @Override
    public String toString() {
        return name;
    }

    /** Every engine on this machine: the default one, then the Docker 26 ones when scripts/engines.sh has run. */
    public static List<Engine> all() {
        List<Engine> out = new ArrayList<>();
        out.add(new Engine("docker 20.10 (default engine)", Tools.docker(), Map.of()));
        Map<String, String> e = envFile();
        String d26 = e.get("POLYARCH_D26_DOCKER");
        if (d26 != null && Files.isExecutable(Path.of(d26))) {
            String path = Path.of(d26).getParent() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
            for (String store : List.of("CONTAINERD", "CLASSIC")) {
                String host = e.get("POLYARCH_D26_" + store + "_HOST");
                if (host == null) continue;
                Map<String, String> env = new LinkedHashMap<>();
                env.put("DOCKER_HOST", host);
                env.put("DOCKER_CONFIG", e.get("POLYARCH_D26_" + store + "_CONFIG"));
                env.put("PATH", path);
                out.add(new Engine("docker 26 + buildx (" + store.toLowerCase(java.util.Locale.ROOT) + " store)", d26, Map.copyOf(env)));
            }
        }
        return out;
    }

    /** True when the Docker 26 engines are set up (as they are by scripts/test.sh and CI). */
    public static boolean modernAvailable() {
        return all().size() == 3;
    }

    /** cosign 2.5.0 as scripts/engines.sh unpacks it. */
    public static String cosign() {
        String c = envFile().get("POLYARCH_COSIGN");
        if (c == null || !Files.isExecutable(Path.of(c))) throw new IllegalStateException("cosign is not set up: run scripts/engines.sh (scripts/test.sh does)");
        return c;
    }

    private static Map<String, String> envFile() {
        Path f = Path.of(System.getenv().getOrDefault("POLYARCH_ENGINES", "/opt/polyarch-engines"), "engines.env");
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(f)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        } catch (IOException missing) {
            // not set up
        }
        return m;
    }

    /** The engine's docker client with its environment. */
    public Tools.Result run(List<String> args, int timeoutSeconds) {
        List<String> cmd = new ArrayList<>(List.of(docker));
        cmd.addAll(args);
        return Tools.run(cmd, null, env, timeoutSeconds);
    }

    /** Removes the images and build cache of this engine that name {@code registryHost} or polyarch's own, as a fresh CI engine has none. */
    public void forget(String registryHost) {
        run(List.of("builder", "prune", "-af"), 120);
        String images = run(List.of("images", "--format", "{{.Repository}}:{{.Tag}}"), 60).out();
        List<String> rm = new ArrayList<>(List.of("rmi", "-f"));
        for (String i : images.split("\n")) if (i.startsWith(registryHost + "/") || i.startsWith("polyarch-build/")) rm.add(i.strip());
        if (rm.size() > 2) run(rm, 120);
    }
}
