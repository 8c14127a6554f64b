package io.polyarch.build.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.build.BuildException;
import io.polyarch.build.CommandRunner;
import io.polyarch.oci.OciJson;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The Docker engine's API on a local Unix socket, for the calls where the client's own start-up shows: reading
 * an image out ({@code GET /images/get}, what {@code docker save} asks for), which the last platform's export
 * waits on, and the engine's version and image store, which every build waits on. Used only where the docker
 * client would reach that same socket: no {@code DOCKER_CONTEXT}, no current context in the client config, and
 * {@code DOCKER_HOST} unset or {@code unix://}. Anywhere else (ssh, tcp, contexts, TLS) the client is run as usual.
 */
final class EngineSocket {
    static final Path DEFAULT = Path.of("/var/run/docker.sock");

    /** Thrown before any of the image is read: the caller runs the docker client instead. */
    static final class Unavailable extends IOException {
        Unavailable(String why) {
            super(why);
        }
    }

    private EngineSocket() {
    }

    /** The socket a Linux docker client would use with {@code env}, when it is a local Unix socket; else empty. */
    static Optional<Path> local(Map<String, String> env) {
        String context = env.getOrDefault("DOCKER_CONTEXT", "");
        if (!context.isEmpty() && !context.equals("default")) return Optional.empty();
        Path config = ClientLookup.clientConfigDir(env).resolve("config.json");
        if (Files.isRegularFile(config)) {
            try {
                String current = OciJson.mapper().readTree(Files.readAllBytes(config)).path("currentContext").asText("");
                if (!current.isEmpty() && !current.equals("default")) return Optional.empty();
            } catch (IOException | RuntimeException e) {
                return Optional.empty(); // the client decides what an unreadable config means
            }
        }
        String host = env.getOrDefault("DOCKER_HOST", "");
        Path socket;
        if (host.isEmpty()) socket = DEFAULT;
        else if (host.startsWith("unix://")) socket = Path.of(host.substring("unix://".length()));
        else return Optional.empty();
        return Files.exists(socket) ? Optional.of(socket) : Optional.empty();
    }

    /**
     * {@code GET /images/get?names=IMAGE}: the image as {@code docker save} writes it, handed to {@code reader}.
     *
     * @throws Unavailable the socket refused the connection or the engine answered anything but 200; nothing was read
     */
    static <T> T save(Path socket, String image, CommandRunner.OutputReader<T> reader) throws IOException, BuildException {
        return get(socket, "/images/get?names=" + URLEncoder.encode(image, StandardCharsets.UTF_8), reader);
    }

    /**
     * What {@code docker version} and {@code docker info} would ask the engine: its version, OS and architecture
     * ({@code GET /version}), and, when {@code askStore}, whether it keeps images in containerd ({@code GET /info}'s
     * driver status; else false).
     *
     * @throws Unavailable the engine cannot be asked here, or answered something else
     */
    static Engine engine(Path socket, boolean askStore) throws IOException {
        try {
            JsonNode v = get(socket, "/version", EngineSocket::json);
            // /info gathers much (containers, images, plugins): asked only when the image store matters
            JsonNode info = askStore ? get(socket, "/info", EngineSocket::json) : OciJson.mapper().createObjectNode();
            String version = v.path("Version").asText("");
            String os = v.path("Os").asText("");
            String arch = v.path("Arch").asText("");
            if (version.isEmpty() || os.isEmpty() || arch.isEmpty()) throw new Unavailable("the engine at " + socket + " gave no version or platform");
            boolean containerd = false;
            for (JsonNode pair : info.path("DriverStatus")) {
                for (JsonNode x : pair) containerd |= x.asText("").contains("io.containerd.snapshotter");
            }
            return new Engine(version, os + "/" + arch, containerd);
        } catch (BuildException e) {
            throw new Unavailable(e.getMessage());
        }
    }

    /** An engine's version, its platform ({@code linux/amd64}) and whether its images are in containerd. */
    record Engine(String version, String platform, boolean containerdStore) {
    }

    private static JsonNode json(InputStream in) throws IOException {
        byte[] body = in.readNBytes(4 << 20);
        try {
            return OciJson.mapper().readTree(body);
        } catch (IOException | RuntimeException e) {
            throw new Unavailable("the engine's answer is not JSON");
        }
    }

    private static <T> T get(Path socket, String path, CommandRunner.OutputReader<T> reader) throws IOException, BuildException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | UnsupportedOperationException e) {
            throw new Unavailable("cannot connect to " + socket + ": " + e.getMessage());
        }
        try (ch; InputStream in = new java.io.BufferedInputStream(Channels.newInputStream(ch), 1 << 16)) {
            // HTTP/1.0: the engine sends the body as it is, to the end of the connection, without chunking
            String req = "GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n";
            Channels.newOutputStream(ch).write(req.getBytes(StandardCharsets.US_ASCII));
            String status = line(in);
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new Unavailable("the engine at " + socket + " answered '" + status + "'");
            while (!line(in).isEmpty()) {
                // headers: none matter for a close-delimited body
            }
            if (!parts[1].equals("200")) {
                String body = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
                throw new Unavailable("the engine at " + socket + " answered " + parts[1] + ": " + body);
            }
            return reader.read(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (b.size() > 8192) throw new Unavailable("the engine's answer has a header line of more than 8 KiB");
            b.write(c);
        }
        if (c == -1 && b.size() == 0) throw new Unavailable("the engine closed the connection without an answer");
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
