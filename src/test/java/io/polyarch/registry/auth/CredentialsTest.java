package io.polyarch.registry.auth;

import io.polyarch.registry.http.Redact;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CredentialsTest {
    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes());
    }

    @Test
    void readsAuthsHelpersAndStoreInDockersOrder(@TempDir Path tmp) throws IOException {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, """
                {"auths": {"reg.example:5000": {"auth": "%s"},
                           "https://index.docker.io/v1/": {"auth": "%s"},
                           "https://old.example/v1/": {"auth": "%s"}},
                 "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
                 "credsStore": "pass"}
                """.formatted(b64("alice:pw1"), b64("hubuser:pw2"), b64("bob:pw:with:colons")));
        List<String> called = new ArrayList<>();
        DockerConfigCredentials p = new DockerConfigCredentials(cfg, (helper, server) -> {
            called.add(helper + " " + server);
            return Optional.of(new Credentials("AWS", "ecr-token"));
        });
        assertEquals(new Credentials("alice", "pw1"), p.credentialsFor("reg.example:5000").orElseThrow());
        assertEquals(new Credentials("hubuser", "pw2"), p.credentialsFor("registry-1.docker.io").orElseThrow());
        assertEquals(new Credentials("bob", "pw:with:colons"), p.credentialsFor("old.example").orElseThrow());
        assertEquals("AWS", p.credentialsFor("123.dkr.ecr.us-east-1.amazonaws.com").orElseThrow().username());
        p.credentialsFor("elsewhere.example");
        assertEquals(List.of("ecr-login 123.dkr.ecr.us-east-1.amazonaws.com", "pass elsewhere.example"), called);
    }

    @Test
    void brokenFilesNameTheFileButNotTheSecret(@TempDir Path tmp) throws IOException {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "{\"auths\": {\"r.example\": {\"auth\": \"" + b64("no-colon-secretvalue") + "\"}}}");
        var e = assertThrows(IOException.class, () -> new DockerConfigCredentials(cfg).credentialsFor("r.example"));
        assertTrue(e.getMessage().contains(cfg.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("secretvalue"), e.getMessage());
        Files.writeString(cfg, "{not json");
        var j = assertThrows(IOException.class, () -> new DockerConfigCredentials(cfg).credentialsFor("r.example"));
        assertTrue(j.getMessage().contains("not valid JSON"), j.getMessage());
        assertTrue(new DockerConfigCredentials(tmp.resolve("absent.json")).credentialsFor("r.example").isEmpty());
    }

    @Test
    void credentialsNeverPrintTheirSecret() {
        assertFalse(new Credentials("u", "hunter2").toString().contains("hunter2"));
    }

    @Test
    void challengesParse() {
        Challenge c = Challenge.parse(List.of("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a:pull repository:b:pull\""))
                .orElseThrow();
        assertEquals("bearer", c.scheme());
        assertEquals("https://auth.example/token", c.param("realm").orElseThrow());
        assertEquals("repository:a:pull repository:b:pull", c.param("scope").orElseThrow());
        assertEquals("basic", Challenge.parse(List.of("Basic realm=\"x\"")).orElseThrow().scheme());
        assertTrue(Challenge.parse(List.of("Negotiate abc")).isEmpty());
    }

    @Test
    void redactionRemovesTokensHeadersAndQuerySecrets() {
        String s = Redact.text("Authorization: Bearer eyJabc.def.ghi and Basic dXNlcjpwYXNz {\"token\":\"t0k\",\"password\":\"pw\"} "
                + "https://s3/x?X-Amz-Signature=abcd&ok=1 /v2/a/blobs/uploads/u?_state=zzz");
        for (String secret : List.of("eyJabc", "dXNlcjpwYXNz", "t0k", "\"pw\"", "abcd", "zzz")) assertFalse(s.contains(secret), s);
        assertTrue(s.contains("ok=1"), s);
        assertEquals("https://s3.example/bucket/key", Redact.uri(java.net.URI.create("https://user:pw@s3.example/bucket/key?X-Amz-Signature=1")));
    }
}
