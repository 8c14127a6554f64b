package io.polyarch.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Credentials as docker and podman store them: {@code auths} (base64 {@code user:password} or an
 * identity token), {@code credHelpers} per registry and {@code credsStore} for all, the helpers being
 * {@code docker-credential-NAME get} with the server on standard input
 * (<a href="https://github.com/docker/docker-credential-helpers">docker-credential-helpers</a>).
 * The same file format serves {@code REGISTRY_AUTH_FILE} (containers-auth.json).
 */
public final class DockerConfigCredentials implements CredentialProvider {
    /** Built on first use: creating Jackson's ObjectMapper costs ~0.1 s of a cold start, which a run can overlap with other work. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }
    private static final String HUB_KEY = "https://index.docker.io/v1/";
    private final Path file;
    private final HelperRunner helpers;

    /** Runs a credential helper; a seam so tests do not need one installed. */
    @FunctionalInterface
    public interface HelperRunner {
        Optional<Credentials> get(String helper, String serverUrl) throws IOException;
    }

    public DockerConfigCredentials(Path file) {
        this(file, DockerConfigCredentials::runHelper);
    }

    public DockerConfigCredentials(Path file, HelperRunner helpers) {
        this.file = file;
        this.helpers = helpers;
    }

    /** {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    public static Path defaultLocation(Map<String, String> env, Path home) {
        String dir = env.get("DOCKER_CONFIG");
        return dir != null && !dir.isBlank() ? Path.of(dir, "config.json") : home.resolve(".docker/config.json");
    }

    @Override
    public Optional<Credentials> credentialsFor(String registry) throws IOException {
        if (!Files.isRegularFile(file)) return Optional.empty();
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read credentials file " + file + ": not valid JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (root == null) return Optional.empty();
        boolean hub = registry.equals("docker.io") || registry.equals("registry-1.docker.io") || registry.equals("index.docker.io");
        String serverKey = hub ? HUB_KEY : registry;
        JsonNode helpersNode = root.path("credHelpers");
        String helper = textOrNull(helpersNode.get(hub ? "docker.io" : registry));
        if (helper == null && hub) helper = textOrNull(helpersNode.get(HUB_KEY));
        if (helper != null) return helpers.get(helper, serverKey);
        Optional<Credentials> fromAuths = fromAuths(root.path("auths"), registry, hub);
        if (fromAuths.isPresent()) return fromAuths;
        String store = textOrNull(root.get("credsStore"));
        if (store != null) return helpers.get(store, serverKey);
        return Optional.empty();
    }

    private Optional<Credentials> fromAuths(JsonNode auths, String registry, boolean hub) throws IOException {
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!matches(e.getKey(), registry, hub)) continue;
            JsonNode v = e.getValue();
            String identity = textOrNull(v.get("identitytoken"));
            String auth = textOrNull(v.get("auth"));
            if (auth != null && !auth.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException ex) {
                    throw new IOException("credentials file " + file + ": the \"auth\" entry for " + e.getKey() + " is not valid base64");
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) throw new IOException("credentials file " + file + ": the \"auth\" entry for " + e.getKey() + " is not base64 of user:password");
                return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1), identity));
            }
            String user = textOrNull(v.get("username"));
            String pass = textOrNull(v.get("password"));
            if (user != null && pass != null) return Optional.of(new Credentials(user, pass, identity));
            if (identity != null) return Optional.of(new Credentials("<token>", "", identity));
        }
        return Optional.empty();
    }

    /** Keys may be bare hosts or URLs ("https://host/v1/"), as older docker clients wrote them. */
    static boolean matches(String key, String registry, boolean hub) {
        String k = key;
        if (k.startsWith("http://")) k = k.substring(7);
        if (k.startsWith("https://")) k = k.substring(8);
        int slash = k.indexOf('/');
        if (slash >= 0) k = k.substring(0, slash);
        if (hub) return k.equals("index.docker.io") || k.equals("docker.io") || k.equals("registry-1.docker.io");
        return k.equals(registry);
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    static Optional<Credentials> runHelper(String helper, String serverUrl) throws IOException {
        String exe = "docker-credential-" + helper;
        Process p;
        try {
            p = new ProcessBuilder(exe, "get").redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IOException("credential helper '" + exe + "' (named in docker config) is not on PATH: install it or remove it from the config");
        }
        try {
            p.getOutputStream().write(serverUrl.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            if (!p.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("credential helper '" + exe + "' did not answer within 30 s");
            }
            if (p.exitValue() != 0) {
                String msg = new String(out, StandardCharsets.UTF_8).trim();
                if (msg.contains("credentials not found")) return Optional.empty();
                throw new IOException("credential helper '" + exe + "' failed with exit code " + p.exitValue());
            }
            JsonNode n = Json.MAPPER.readTree(out);
            String user = textOrNull(n.get("Username"));
            String secret = textOrNull(n.get("Secret"));
            if (secret == null) return Optional.empty();
            // helpers return the user "<token>" for identity tokens
            if ("<token>".equals(user)) return Optional.of(new Credentials(user, "", secret));
            return Optional.of(new Credentials(user, secret));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + exe);
        }
    }
}
