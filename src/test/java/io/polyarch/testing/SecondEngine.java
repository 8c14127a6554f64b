package io.polyarch.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A second Docker engine on its own socket, data root and bridge, standing in for a native arm64 build host
 * reached through DOCKER_HOST. It gets its own bridge (dockerd started with the bridge disabled deletes docker0).
 */
public final class SecondEngine implements AutoCloseable {
    static final String BRIDGE = "pa-test-br0";
    private final Process process;
    private final Path dir;

    private SecondEngine(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    public static SecondEngine start() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "dockerd2-");
        Tools.run(List.of("ip", "link", "add", BRIDGE, "type", "bridge"));
        Tools.run(List.of("ip", "addr", "add", "172.31.251.1/24", "dev", BRIDGE));
        Tools.run(List.of("ip", "link", "set", BRIDGE, "up")).requireOk("ip link set up");
        Process p = new ProcessBuilder("/usr/sbin/dockerd", "--host", "unix://" + dir.resolve("docker.sock"), "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(), "--bridge", BRIDGE, "--iptables=false")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        SecondEngine e = new SecondEngine(p, dir);
        for (int i = 0; i < 120; i++) {
            if (Tools.run(List.of(Tools.docker(), "version"), null, Map.of("DOCKER_HOST", e.host()), 30).code() == 0) return e;
            if (!p.isAlive()) break;
            Thread.sleep(250);
        }
        e.close();
        throw new IllegalStateException("second dockerd did not start: " + Files.readString(dir.resolve("dockerd.log")));
    }

    /** The DOCKER_HOST value for this engine. */
    public String host() {
        return "unix://" + dir.resolve("docker.sock");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        Tools.run(List.of("ip", "link", "del", BRIDGE));
        Tools.run(List.of("rm", "-rf", dir.toString()));
    }
}
