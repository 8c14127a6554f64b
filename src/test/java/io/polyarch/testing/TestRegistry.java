package io.polyarch.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A real CNCF distribution registry (Debian's docker-registry 2.8) on a free loopback port, storing in a
 * temporary directory: plain, with htpasswd Basic auth, or with token auth against {@link TokenServer}.
 */
public final class TestRegistry implements AutoCloseable {
    public static final String USER = "polyarch";
    public static final String PASSWORD = "s3cret-Pa55word";
    private final Process process;
    private final int port;
    private final Path dir;
    private final TokenServer tokenServer;

    private TestRegistry(Process process, int port, Path dir, TokenServer tokenServer) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.tokenServer = tokenServer;
    }

    public static TestRegistry plain() throws Exception {
        return start("", null);
    }

    public static TestRegistry htpasswd() throws Exception {
        Path dir = Files.createTempDirectory("reg-auth");
        var r = Tools.run(java.util.List.of("htpasswd", "-Bbn", USER, PASSWORD)).requireOk("htpasswd");
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, r.out());
        return start("auth:\n  htpasswd:\n    realm: polyarch-test\n    path: " + file + "\n", null);
    }

    public static TestRegistry token() throws Exception {
        TokenServer ts = TokenServer.start(USER, PASSWORD);
        String cfg = "auth:\n  token:\n    realm: " + ts.realm() + "\n    service: " + TokenServer.SERVICE
                + "\n    issuer: " + TokenServer.ISSUER + "\n    rootcertbundle: " + ts.certFile() + "\n";
        return start(cfg, ts);
    }

    private static TestRegistry start(String authYaml, TokenServer ts) throws Exception {
        Path dir = Files.createTempDirectory("registry");
        int port = freePort();
        String cfg = "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data")
                + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n" + authYaml;
        Path cfgFile = dir.resolve("config.yml");
        Files.writeString(cfgFile, cfg);
        Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", cfgFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/").toURL().openConnection();
                int code = c.getResponseCode();
                if (code == 200 || code == 401) return new TestRegistry(p, port, dir, ts);
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
            if (!p.isAlive()) break;
        }
        p.destroyForcibly();
        throw new IllegalStateException("registry did not start: " + Files.readString(dir.resolve("registry.log")));
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public TokenServer tokenServer() {
        return tokenServer;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (tokenServer != null) tokenServer.close();
    }
}
