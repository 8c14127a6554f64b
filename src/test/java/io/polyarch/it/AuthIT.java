package io.polyarch.it;

import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.testing.Cli;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Basic (htpasswd) and token auth against a real registry; credentials from an auth file, never printed. */
class AuthIT {

    static Path authFile(Path dir, String host, String user, String password) throws Exception {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes());
        Path f = dir.resolve("auth.json");
        Files.writeString(f, "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
        return f;
    }

    static void seed(TestRegistry reg, String repo) throws Exception {
        try (Registries r = new Registries(RegistryOptions.defaults(),
                CredentialProvider.fixed(reg.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)))) {
            RegistryClient c = r.open(Reference.parse(reg.host() + "/" + repo), true);
            TestImages.push(c, "amd64", "amd64", "amd64", false);
            TestImages.push(c, "arm64", "arm64", "arm64", false);
        }
    }

    void createAndCheck(TestRegistry reg, Path tmp) throws Exception {
        seed(reg, "team/src");
        String[] args = {"index", "create", "--to", reg.host() + "/team/app:v1", reg.host() + "/team/src:amd64", reg.host() + "/team/src:arm64"};

        // no credentials: a clear authentication failure, exit 1
        var anon = Cli.run(Map.of("REGISTRY_AUTH_FILE", "", "DOCKER_CONFIG", tmp.resolve("none").toString()), args);
        assertEquals(1, anon.code(), anon.toString());
        assertTrue(anon.err().contains("401") || anon.err().contains("authentication"), anon.err());

        // wrong password: rejected, and the password is in no output
        Path wrong = authFile(tmp, reg.host(), TestRegistry.USER, "wrong-Secret-123");
        var bad = Cli.run(Map.of("REGISTRY_AUTH_FILE", wrong.toString()), args);
        assertEquals(1, bad.code(), bad.toString());
        assertFalse(bad.toString().contains("wrong-Secret-123"), "password leaked: " + bad);
        assertFalse(bad.toString().contains(Base64.getEncoder().encodeToString((TestRegistry.USER + ":wrong-Secret-123").getBytes())), bad.toString());

        Path good = authFile(tmp, reg.host(), TestRegistry.USER, TestRegistry.PASSWORD);
        var ok = Cli.run(Map.of("REGISTRY_AUTH_FILE", good.toString()), args);
        assertEquals(0, ok.code(), ok.toString());
        assertFalse(ok.toString().contains(TestRegistry.PASSWORD), "password leaked: " + ok);

        var inspect = Cli.run(Map.of("REGISTRY_AUTH_FILE", good.toString()), "inspect", reg.host() + "/team/app:v1");
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("linux/arm64") && inspect.out().contains("ok (linux/arm64/v8)"), inspect.out());
    }

    @Test
    void basicAuthWithHtpasswd(@TempDir Path tmp) throws Exception {
        try (TestRegistry reg = TestRegistry.htpasswd()) {
            createAndCheck(reg, tmp);
        }
    }

    @Test
    void tokenAuthAsksForTheSourceRepositoryScopeWhenMounting(@TempDir Path tmp) throws Exception {
        try (TestRegistry reg = TestRegistry.token()) {
            createAndCheck(reg, tmp);
            // the children were mounted from team/src into team/app: that needs pull on team/src in the same token
            assertTrue(reg.tokenServer().scopesRequested.contains("repository:team/src:pull"), reg.tokenServer().scopesRequested.toString());
            assertTrue(reg.tokenServer().scopesRequested.contains("repository:team/app:pull,push"), reg.tokenServer().scopesRequested.toString());
        }
    }
}
