package io.polyarch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw-socket HTTP/1.1 server whose answers a test scripts per request, including things no real registry
 * does on purpose: closing the connection half-way through an upload. One request per connection.
 */
public final class ScriptedServer implements AutoCloseable {
    public record Req(String method, String path, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What to do with a request. */
    public sealed interface Action permits Reply, Drop, Trickle {
    }

    /** Answer {@code status} with a body of {@code body}, sending its bytes one at a time, {@code everyMs} apart. */
    public record Trickle(int status, byte[] body, long everyMs) implements Action {
    }

    public record Reply(int status, Map<String, String> headers, byte[] body) implements Action {
        public static Reply of(int status, String body, String... headerPairs) {
            Map<String, String> h = new LinkedHashMap<>();
            for (int i = 0; i + 1 < headerPairs.length; i += 2) h.put(headerPairs[i], headerPairs[i + 1]);
            return new Reply(status, h, body.getBytes(StandardCharsets.UTF_8));
        }

        public static Reply bytes(int status, byte[] body, String... headerPairs) {
            Map<String, String> h = new LinkedHashMap<>();
            for (int i = 0; i + 1 < headerPairs.length; i += 2) h.put(headerPairs[i], headerPairs[i + 1]);
            return new Reply(status, h, body);
        }
    }

    /** Read this many body bytes, then close the socket without answering. */
    public record Drop(int afterBodyBytes) implements Action {
    }

    @FunctionalInterface
    public interface Script {
        Action handle(Req req) throws Exception;
    }

    private final ServerSocket socket;
    private final Thread thread;
    public final List<Req> requests = new CopyOnWriteArrayList<>();

    public ScriptedServer(Script script) throws IOException {
        this(script, "127.0.0.1");
    }

    /** A server whose script sees each request's body (read before it answers; no Drop mid-body then). */
    public static ScriptedServer withBodies(Script script) throws IOException {
        ScriptedServer s = new ScriptedServer(script, "127.0.0.1", true);
        return s;
    }

    private final boolean bodiesFirst;

    public ScriptedServer(Script script, String bindAddress) throws IOException {
        this(script, bindAddress, false);
    }

    private ScriptedServer(Script script, String bindAddress, boolean bodiesFirst) throws IOException {
        this.bodiesFirst = bodiesFirst;
        socket = new ServerSocket(0, 50, InetAddress.getByName(bindAddress));
        thread = Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread.ofVirtual().start(() -> serve(s, script));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    public int port() {
        return socket.getLocalPort();
    }

    public String host() {
        return "127.0.0.1:" + port();
    }

    private void serve(Socket s, Script script) {
        try (s) {
            InputStream in = s.getInputStream();
            String line = readLine(in);
            if (line == null || line.isEmpty()) return;
            String[] parts = line.split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h; (h = readLine(in)) != null && !h.isEmpty(); ) {
                int c = h.indexOf(':');
                headers.put(h.substring(0, c).trim().toLowerCase(Locale.ROOT), h.substring(c + 1).trim());
            }
            long len = headers.containsKey("content-length") ? Long.parseLong(headers.get("content-length")) : 0;
            byte[] early = bodiesFirst ? in.readNBytes((int) len) : null;
            Req peek = new Req(parts[0], parts[1], headers, early != null ? early : new byte[0]);
            Action action = script.handle(peek);
            if (action instanceof Drop d) {
                in.readNBytes((int) Math.min(len, d.afterBodyBytes()));
                requests.add(peek);
                s.setSoLinger(true, 0); // RST, as a crashed proxy would
                return;
            }
            byte[] body = early != null ? early : in.readNBytes((int) len);
            requests.add(new Req(parts[0], parts[1], headers, body));
            if (action instanceof Trickle t) {
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 " + t.status() + " X\r\nContent-Length: " + t.body().length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                for (byte x : t.body()) {
                    Thread.sleep(t.everyMs());
                    out.write(x);
                    out.flush();
                }
                return;
            }
            Reply r = (Reply) action;
            OutputStream out = s.getOutputStream();
            StringBuilder sb = new StringBuilder("HTTP/1.1 " + r.status() + " X\r\n");
            r.headers().forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
            boolean head = parts[0].equals("HEAD");
            if (!r.headers().containsKey("Content-Length")) sb.append("Content-Length: ").append(r.body().length).append("\r\n");
            sb.append("Connection: close\r\n\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (!head) out.write(r.body());
            out.flush();
        } catch (Exception ignored) {
            // the client went away; the test sees it through what it asserts
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            if (c != '\r') b.write(c);
        }
        if (c < 0 && b.size() == 0) return null;
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    public List<Req> requests(String method, String pathPrefix) {
        List<Req> out = new ArrayList<>();
        for (Req r : requests) if (r.method().equals(method) && r.path().startsWith(pathPrefix)) out.add(r);
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
