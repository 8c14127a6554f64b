package io.polyarch.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.polyarch.oci.OciJson;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal token server for distribution's {@code auth.token} mode: checks Basic credentials, grants the
 * scopes asked for, and signs an RS256 JWT whose {@code x5c} header carries the certificate the registry
 * trusts (made with openssl per run).
 */
public final class TokenServer implements AutoCloseable {
    public static final String SERVICE = "polyarch-test";
    public static final String ISSUER = "polyarch-test-issuer";
    private final HttpServer server;
    private final Path certFile;
    private final PrivateKey key;
    private final String certDer;
    private final String user;
    private final String password;
    public final List<String> scopesRequested = new CopyOnWriteArrayList<>();
    public final AtomicInteger tokensIssued = new AtomicInteger();

    private TokenServer(HttpServer server, Path certFile, PrivateKey key, String certDer, String user, String password) {
        this.server = server;
        this.certFile = certFile;
        this.key = key;
        this.certDer = certDer;
        this.user = user;
        this.password = password;
    }

    public static TokenServer start(String user, String password) throws Exception {
        Path dir = Files.createTempDirectory("token");
        Tools.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString(), "-days", "2", "-subj", "/CN=polyarch-token")).requireOk("openssl");
        String keyPem = Files.readString(dir.resolve("key.pem"));
        byte[] keyDer = Base64.getMimeDecoder().decode(keyPem.replaceAll("-----[A-Z ]+-----", ""));
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(keyDer));
        String certPem = Files.readString(dir.resolve("cert.pem"));
        String certDer = certPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        HttpServer hs = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        TokenServer ts = new TokenServer(hs, dir.resolve("cert.pem"), key, certDer, user, password);
        hs.createContext("/token", ex -> {
            try (ex) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!expected.equals(auth)) {
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
                List<String> scopes = new ArrayList<>();
                String q = ex.getRequestURI().getRawQuery();
                if (q != null) {
                    for (String kv : q.split("&")) {
                        if (kv.startsWith("scope=")) scopes.add(URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8));
                    }
                }
                ts.scopesRequested.addAll(scopes);
                byte[] body = ("{\"token\":\"" + ts.jwt(scopes) + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ts.tokensIssued.incrementAndGet();
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            }
        });
        hs.start();
        return ts;
    }

    private String jwt(List<String> scopes) throws Exception {
        ObjectNode header = OciJson.mapper().createObjectNode();
        header.put("typ", "JWT").put("alg", "RS256");
        header.putArray("x5c").add(certDer);
        ObjectNode claims = OciJson.mapper().createObjectNode();
        long now = Instant.now().getEpochSecond();
        claims.put("iss", ISSUER).put("sub", user).put("aud", SERVICE).put("exp", now + 300).put("nbf", now - 10)
                .put("iat", now).put("jti", java.util.UUID.randomUUID().toString());
        ArrayNode access = claims.putArray("access");
        for (String s : scopes) {
            String[] parts = s.split(":");
            if (parts.length < 3) continue;
            ObjectNode a = access.addObject();
            a.put("type", parts[0]).put("name", parts[1]);
            ArrayNode actions = a.putArray("actions");
            for (String act : parts[2].split(",")) actions.add(act);
        }
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(OciJson.bytes(header)) + "." + b64.encodeToString(OciJson.bytes(claims));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(sig.sign());
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certFile() {
        return certFile;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
