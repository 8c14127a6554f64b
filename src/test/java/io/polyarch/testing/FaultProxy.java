package io.polyarch.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 proxy in front of a real registry that injects faults into polyarch's requests (those whose
 * User-Agent names polyarch; the engine's own pulls pass untouched) following a seeded schedule: bursts of
 * 500/502/503, 429 with Retry-After, a connection reset in the middle of a response body, a stalled response
 * (longer than the client's idle timeout), a trickled response, an upload cut in the middle of its body, and
 * {@linkplain #outage outages} during which every request fails. Each request goes upstream on its own
 * connection and the client's connection is closed after the response, so a fault never leaks into the next.
 */
public final class FaultProxy implements AutoCloseable {
    public enum Fault { STATUS_500, STATUS_502, STATUS_503, RATE_LIMITED_429, RESET_MID_BODY, STALL, TRICKLE, CUT_UPLOAD, OUTAGE }

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Map<Fault, AtomicInteger> injected = new EnumMap<>(Fault.class);
    private final AtomicInteger requests = new AtomicInteger();
    private final long stallMillis;
    private Random random = new Random(0);
    private double faultRate;
    private int burstLeft;
    private Fault burstFault;
    private volatile long outageUntil;
    /** Outside an outage, one request (method and path) fails at most this many times in a row: less than the retry budget. */
    static final int MAX_IN_A_ROW = 3;
    private final Map<String, Integer> inARow = new java.util.HashMap<>();
    private volatile String refuseMethod;
    private volatile String refuseSuffix;

    /** {@code stallMillis}: how long a stalled response waits (make it longer than the client's idle timeout). */
    public FaultProxy(String upstreamHost, int upstreamPort, long stallMillis) throws IOException {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.stallMillis = stallMillis;
        for (Fault f : Fault.values()) injected.put(f, new AtomicInteger());
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        pool.execute(this::accept);
    }

    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Starts a new schedule: each of polyarch's requests faulted with probability {@code rate}, from {@code seed}. */
    public synchronized void schedule(long seed, double rate) {
        random = new Random(seed);
        faultRate = rate;
        burstLeft = 0;
        outageUntil = 0;
        inARow.clear();
    }

    /** Every request of polyarch's fails (503 without Retry-After, or a reset) for the next {@code millis}. */
    public void outage(long millis) {
        outageUntil = System.currentTimeMillis() + millis;
    }

    /** Every request {@code METHOD .../*SUFFIX} is refused with 403 DENIED (a registry policy), whoever sends it. */
    public void refuse(String method, String pathSuffix) {
        refuseMethod = method;
        refuseSuffix = pathSuffix;
    }

    public int injected(Fault f) {
        return injected.get(f).get();
    }

    public int injectedTotal() {
        return injected.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    public int requests() {
        return requests.get();
    }

    public Map<Fault, Integer> counts() {
        Map<Fault, Integer> m = new LinkedHashMap<>();
        injected.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    private synchronized Fault decide(Head head) {
        if (!head.userAgent().toLowerCase(Locale.ROOT).contains("polyarch")) return null;
        requests.incrementAndGet();
        if (System.currentTimeMillis() < outageUntil) return Fault.OUTAGE;
        // one logical operation: an upload's steps count as one whatever session the registry opened for each attempt
        String key = head.requestLine().replaceFirst("\\?.*$", "").replaceFirst(" HTTP/.*$", "").replaceFirst("/blobs/uploads/.*$", "/blobs/uploads/");
        Fault f = shortFault(head);
        if (f == null || inARow.getOrDefault(key, 0) >= MAX_IN_A_ROW) {
            inARow.remove(key);
            return null;
        }
        inARow.merge(key, 1, Integer::sum);
        return f;
    }

    private Fault shortFault(Head head) {
        if (burstLeft > 0) {
            burstLeft--;
            return burstFault;
        }
        if (random.nextDouble() >= faultRate) return null;
        Fault[] kinds = {Fault.STATUS_500, Fault.STATUS_502, Fault.STATUS_503, Fault.RATE_LIMITED_429,
                Fault.RESET_MID_BODY, Fault.STALL, Fault.TRICKLE, Fault.CUT_UPLOAD};
        Fault f = kinds[random.nextInt(kinds.length)];
        if (f == Fault.CUT_UPLOAD && head.bodyLength() == 0) f = Fault.RESET_MID_BODY;
        if (f.name().startsWith("STATUS")) {
            // a burst: this and up to two more requests answered the same way
            burstLeft = random.nextInt(3);
            burstFault = f;
        }
        return f;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                pool.execute(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            Head head = Head.read(in);
            if (head == null) return;
            if (head.expectContinue()) out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String[] line = head.requestLine().split(" ");
            if (refuseSuffix != null && line.length > 1 && line[0].equals(refuseMethod) && line[1].replaceFirst("\\?.*$", "").endsWith(refuseSuffix)) {
                head.readBody(in);
                byte[] body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"signatures are not accepted here\"}]}".getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                return;
            }
            Fault fault = decide(head);
            if (fault != null) injected.get(fault).incrementAndGet();
            if (fault == Fault.CUT_UPLOAD) {
                // read part of the body, then drop the connection as a failing load balancer would
                in.readNBytes((int) (head.bodyLength() < 0 ? 16 << 10 : Math.max(1, head.bodyLength() / 2)));
                reset(client);
                return;
            }
            byte[] body = head.readBody(in);
            if (fault == Fault.OUTAGE && random() < 0.5) {
                reset(client);
                return;
            }
            if (fault == Fault.OUTAGE || fault != null && fault.name().startsWith("STATUS") || fault == Fault.RATE_LIMITED_429) {
                answer(out, fault);
                return;
            }
            byte[] response = forward(head, body);
            switch (fault == null ? Fault.OUTAGE : fault) {
                case RESET_MID_BODY -> {
                    out.write(response, 0, response.length / 2);
                    out.flush();
                    reset(client);
                }
                case STALL -> {
                    // the registry has acted on the request; its answer comes too late
                    Thread.sleep(stallMillis);
                    out.write(response);
                }
                case TRICKLE -> {
                    int pieces = 40;
                    int step = Math.max(1, response.length / pieces);
                    for (int off = 0; off < response.length; off += step) {
                        out.write(response, off, Math.min(step, response.length - off));
                        out.flush();
                        Thread.sleep(25);
                    }
                }
                default -> out.write(response);
            }
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the client went away; nothing to do
        }
    }

    private synchronized double random() {
        return random.nextDouble();
    }

    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static void answer(OutputStream out, Fault fault) throws IOException {
        int status = switch (fault) {
            case STATUS_500 -> 500;
            case STATUS_502 -> 502;
            case RATE_LIMITED_429 -> 429;
            default -> 503;
        };
        byte[] body = ("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected " + fault + "\"}]}").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " Injected\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + (fault == Fault.RATE_LIMITED_429 ? "\r\nRetry-After: 1" : "") + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** Sends the request upstream on a fresh connection and returns the whole response as it came. */
    private byte[] forward(Head head, byte[] body) throws IOException {
        try (Socket up = new Socket(upstreamHost, upstreamPort)) {
            up.setSoTimeout(60_000);
            OutputStream o = up.getOutputStream();
            StringBuilder h = new StringBuilder(head.requestLine()).append("\r\n");
            head.headers().forEach((k, v) -> {
                String lk = k.toLowerCase(Locale.ROOT);
                if (!lk.equals("connection") && !lk.equals("transfer-encoding") && !lk.equals("content-length") && !lk.equals("expect")) {
                    h.append(k).append(": ").append(v).append("\r\n");
                }
            });
            if (body.length > 0 || head.bodyLength() != 0) h.append("Content-Length: ").append(body.length).append("\r\n");
            h.append("Connection: close\r\n\r\n");
            o.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.write(body);
            o.flush();
            return up.getInputStream().readAllBytes();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        pool.shutdownNow();
    }

    /** A request's line and headers; the body is read separately (Content-Length or chunked). */
    record Head(String requestLine, List<Map.Entry<String, String>> entries) {
        Map<String, String> headers() {
            Map<String, String> m = new LinkedHashMap<>();
            entries.forEach(e -> m.merge(e.getKey(), e.getValue(), (a, b) -> a + ", " + b));
            return m;
        }

        String header(String name) {
            for (var e : entries) if (e.getKey().equalsIgnoreCase(name)) return e.getValue().trim();
            return null;
        }

        String userAgent() {
            String ua = header("User-Agent");
            return ua == null ? "" : ua;
        }

        boolean chunked() {
            String te = header("Transfer-Encoding");
            return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        }

        boolean expectContinue() {
            String e = header("Expect");
            return e != null && e.equalsIgnoreCase("100-continue");
        }

        /** The declared body length, -1 when chunked. */
        long bodyLength() {
            if (chunked()) return -1;
            String cl = header("Content-Length");
            return cl == null ? 0 : Long.parseLong(cl);
        }

        byte[] readBody(InputStream in) throws IOException {
            if (!chunked()) return in.readNBytes((int) bodyLength());
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line(in);
                if (sizeLine == null) throw new IOException("chunked body ended early");
                int semi = sizeLine.indexOf(';');
                int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    while (true) {
                        String trailer = line(in);
                        if (trailer == null || trailer.isEmpty()) return b.toByteArray();
                    }
                }
                b.write(in.readNBytes(size));
                line(in);
            }
        }

        static Head read(InputStream in) throws IOException {
            String first = line(in);
            if (first == null || first.isEmpty()) return null;
            List<Map.Entry<String, String>> entries = new ArrayList<>();
            while (true) {
                String l = line(in);
                if (l == null || l.isEmpty()) break;
                int colon = l.indexOf(':');
                if (colon > 0) entries.add(Map.entry(l.substring(0, colon).trim(), l.substring(colon + 1).trim()));
            }
            return new Head(first, entries);
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') return b.toString(StandardCharsets.ISO_8859_1).replaceFirst("\r$", "");
                b.write(c);
            }
            return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
