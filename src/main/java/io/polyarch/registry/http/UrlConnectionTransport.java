package io.polyarch.registry.http;

import javax.net.ssl.HttpsURLConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpRetryException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The default bottom of the chain: blocking {@link HttpURLConnection}s, which on virtual threads move blob
 * bodies about twice as fast as java.net.http on a cold JVM (measured in bench/copy.sh: java.net.http's
 * reactive body pipeline costs more than the copy itself for a short-lived CLI). Redirects are off (the
 * client follows them, without credentials for other hosts). PATCH, which HttpURLConnection cannot send,
 * goes to {@link StreamingSocketTransport} when its body is streamed (and no proxy is set), else to the
 * {@code fallback} transport.
 */
public final class UrlConnectionTransport implements Transport, AutoCloseable {
    private static final int BUFFER = 256 * 1024;
    private final Duration connectTimeout;
    private final TlsPolicy tls;
    /** Built on first PATCH only: creating a java.net.http client costs ~0.2 s of start-up. */
    private volatile JdkTransport fallback;
    private final StreamingSocketTransport streaming;

    private final Duration idleTimeout;

    public UrlConnectionTransport(Timeouts timeouts, TlsPolicy tls) {
        this.connectTimeout = timeouts.connect();
        this.idleTimeout = timeouts.idle();
        this.tls = tls;
        this.streaming = new StreamingSocketTransport(timeouts, tls);
    }

    private JdkTransport fallback() {
        JdkTransport f = fallback;
        if (f == null) {
            synchronized (this) {
                if (fallback == null) fallback = new JdkTransport(connectTimeout, tls);
                f = fallback;
            }
        }
        return f;
    }

    @Override
    public Response send(Request request) throws IOException, InterruptedException {
        if (!Set.of("GET", "HEAD", "POST", "PUT", "DELETE").contains(request.method())) {
            boolean streamed = request.body() != null && request.body().length() < 0;
            return streamed && StreamingSocketTransport.handles(request.uri()) ? streaming.send(request) : fallback().send(request);
        }
        HttpURLConnection c = (HttpURLConnection) request.uri().toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setConnectTimeout((int) connectTimeout.toMillis());
        c.setReadTimeout((int) idleTimeout.toMillis());
        if (c instanceof HttpsURLConnection https && !tls.verifies(request.uri())) {
            https.setSSLSocketFactory(tls.socketFactory(request.uri()));
            https.setHostnameVerifier((h, s) -> true);
        }
        c.setRequestMethod(request.method());
        request.headers().forEach((k, vs) -> {
            if (!Request.TRANSPORT_HEADERS.contains(k.toLowerCase(Locale.ROOT))) vs.forEach(v -> c.addRequestProperty(k, v));
        });
        try {
            if (request.body() != null || request.method().equals("POST") || request.method().equals("PUT")) {
                long length = request.body() == null ? 0 : request.body().length();
                c.setDoOutput(true);
                if (length < 0) c.setChunkedStreamingMode(BUFFER);
                else c.setFixedLengthStreamingMode(length);
                try (OutputStream out = c.getOutputStream()) {
                    if (request.body() != null && length != 0) {
                        try (InputStream in = request.body().open()) {
                            byte[] buf = new byte[BUFFER];
                            int n;
                            while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
                        }
                    }
                }
            }
            int status = c.getResponseCode();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            c.getHeaderFields().forEach((k, v) -> {
                if (k != null) headers.put(k, v);
            });
            InputStream body;
            if (request.method().equals("HEAD")) {
                body = null;
            } else if (status >= 400) {
                body = c.getErrorStream();
            } else {
                body = c.getInputStream();
            }
            return new Response(status, headers, body, request.uri());
        } catch (HttpRetryException e) {
            // a 401 in streaming mode surfaces as this exception; hand the status back for the auth layer
            return new Response(e.responseCode(), Map.of(), null, request.uri());
        }
    }

    @Override
    public void close() {
        if (fallback != null) fallback.close();
    }
}
