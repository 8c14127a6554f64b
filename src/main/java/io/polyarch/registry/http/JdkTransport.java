package io.polyarch.registry.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The bottom of the chain: java.net.http with redirects off (the client follows them itself, so that
 * credentials are never forwarded to another host) and HTTP/1.1, which every registry speaks.
 * Hosts named insecure get a client that does not verify TLS certificates.
 */
public final class JdkTransport implements Transport, AutoCloseable {
    private final HttpClient verified;
    private final TlsPolicy tls;
    private volatile HttpClient unverified;
    private final Duration connectTimeout;

    public JdkTransport(Duration connectTimeout, TlsPolicy tls) {
        this.connectTimeout = connectTimeout;
        this.tls = tls;
        this.verified = builder().build();
    }

    private HttpClient.Builder builder() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor());
    }

    private HttpClient clientFor(java.net.URI uri) {
        if (tls.verifies(uri)) return verified;
        HttpClient c = unverified;
        if (c == null) {
            synchronized (this) {
                if (unverified == null) unverified = builder().sslContext(TrustAll.CONTEXT).build();
                c = unverified;
            }
        }
        return c;
    }

    @Override
    public Response send(Request request) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(request.uri());
        request.headers().forEach((k, vs) -> {
            if (!Request.TRANSPORT_HEADERS.contains(k.toLowerCase(java.util.Locale.ROOT))) vs.forEach(v -> b.header(k, v));
        });
        HttpRequest.BodyPublisher publisher;
        if (request.body() == null) {
            publisher = HttpRequest.BodyPublishers.noBody();
        } else {
            Request.Body body = request.body();
            HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(() -> {
                try {
                    return body.open();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            // a negative length is a body streamed as it is produced: sent with chunked transfer encoding
            publisher = body.length() < 0 ? stream : body.length() == 0 ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.fromPublisher(stream, body.length());
        }
        b.method(request.method(), publisher);
        HttpResponse<InputStream> r;
        try {
            r = clientFor(request.uri()).send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new Response(r.statusCode(), r.headers().map(), r.body(), request.uri());
    }


    @Override
    public void close() {
        verified.close();
        if (unverified != null) unverified.close();
    }
}
