package io.polyarch.registry.http;

import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain or TLS socket, one connection per request, for the one request the other transports send
 * badly: a PATCH whose body is streamed as it is produced (a layer during its export). HttpURLConnection cannot send
 * PATCH; java.net.http can, but in the benchmark's run it cost far more CPU for one 25 MB body (client set-up and
 * its reactive body pipeline, 16 KiB at a time) than the upload itself, where this writes the produced chunks straight
 * to the socket with chunked framing. Takes only requests it can send directly: no proxy configured for the URI
 * ({@link #handles}).
 */
final class StreamingSocketTransport implements Transport {
    private static final int BUFFER = 256 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private final Duration connectTimeout;
    private final TlsPolicy tlsPolicy;

    private final Duration idleTimeout;

    StreamingSocketTransport(Timeouts timeouts, TlsPolicy tlsPolicy) {
        Duration connectTimeout = timeouts.connect();
        this.idleTimeout = timeouts.idle();
        this.connectTimeout = connectTimeout;
        this.tlsPolicy = tlsPolicy;
    }

    /** True for http(s) URIs that the JVM's proxy settings send directly. */
    static boolean handles(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) return false;
        try {
            List<Proxy> proxies = ProxySelector.getDefault() == null ? List.of(Proxy.NO_PROXY) : ProxySelector.getDefault().select(uri);
            return proxies.isEmpty() || proxies.stream().allMatch(p -> p.type() == Proxy.Type.DIRECT);
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public Response send(Request request) throws IOException {
        URI uri = request.uri();
        boolean tls = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        String authority = TlsPolicy.authority(uri);
        Socket socket = new Socket();
        boolean handedOver = false;
        try {
            socket.connect(new InetSocketAddress(uri.getHost(), port), (int) connectTimeout.toMillis());
            socket.setSoTimeout((int) idleTimeout.toMillis());
            if (tls) {
                boolean trustAll = !tlsPolicy.verifies(uri);
                var factory = tlsPolicy.socketFactory(uri);
                SSLSocket ssl = (SSLSocket) factory.createSocket(socket, uri.getHost(), port, true);
                if (!trustAll) {
                    var params = ssl.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.setSSLParameters(params);
                }
                ssl.startHandshake();
                socket = ssl;
            }
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
            writeHead(out, request, authority);
            if (request.body() != null && request.body().length() != 0) writeBody(out, request.body());
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            Response r = readResponse(in, socket, uri);
            handedOver = true;
            return r;
        } finally {
            if (!handedOver) socket.close();
        }
    }

    private static void writeHead(OutputStream out, Request request, String authority) throws IOException {
        StringBuilder h = new StringBuilder();
        String target = uriPath(request.uri());
        h.append(request.method()).append(' ').append(target).append(" HTTP/1.1\r\n");
        h.append("Host: ").append(authority).append("\r\n");
        request.headers().forEach((k, vs) -> {
            if (!Request.TRANSPORT_HEADERS.contains(k.toLowerCase(Locale.ROOT))) vs.forEach(v -> h.append(k).append(": ").append(v).append("\r\n"));
        });
        long length = request.body() == null ? 0 : request.body().length();
        if (length < 0) h.append("Transfer-Encoding: chunked\r\n");
        else h.append("Content-Length: ").append(length).append("\r\n");
        h.append("Connection: close\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String uriPath(URI u) {
        String p = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        return u.getRawQuery() == null ? p : p + "?" + u.getRawQuery();
    }

    private static void writeBody(OutputStream out, Request.Body body) throws IOException {
        boolean chunked = body.length() < 0;
        byte[] buf = new byte[BUFFER];
        try (InputStream in = body.open()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (chunked) out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(buf, 0, n);
                if (chunked) out.write(CRLF);
            }
        }
        if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Response readResponse(InputStream in, Socket socket, URI uri) throws IOException {
        String status = readLine(in);
        while (status.startsWith("HTTP/1.1 100") || status.startsWith("HTTP/1.0 100")) {
            while (!readLine(in).isEmpty()) {
                // interim response headers
            }
            status = readLine(in);
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response: " + abbreviate(status));
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + abbreviate(status));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
        // the connection closes after this response: the body is what the server sends until then (bounded by its
        // Content-Length when it gives one); the socket goes when the body is closed
        long declared = Response.parseLength(headers.containsKey("content-length") ? headers.get("content-length").get(0) : null);
        if (declared == -2) throw new IOException("the server sent a Content-Length that is not a size");
        boolean chunked = headers.getOrDefault("transfer-encoding", List.of()).stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"));
        InputStream body = new InputStream() {
            long length = declared;
            long left = chunked ? 0 : declared;
            boolean last = !chunked;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (chunked && left == 0) {
                    if (last) return -1;
                    if (length == -2) readLine(in); // the CRLF after the previous chunk
                    String size = readLine(in);
                    int semi = size.indexOf(';');
                    try {
                        left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad chunk size: " + abbreviate(size));
                    }
                    length = -2;
                    if (left == 0) {
                        last = true;
                        return -1;
                    }
                }
                if (left == 0) return -1;
                int n = in.read(b, off, left < 0 ? len : (int) Math.min(len, left));
                if (n > 0 && left > 0) left -= n;
                return n;
            }

            @Override
            public void close() throws IOException {
                socket.close();
            }
        };
        return new Response(code, headers, body, uri);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            if (c != '\r') b.write(c);
            if (b.size() > 64 * 1024) throw new IOException("HTTP header line over 64 KiB");
        }
        if (c < 0 && b.size() == 0) throw new IOException("connection closed before the response");
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static String abbreviate(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }
}
