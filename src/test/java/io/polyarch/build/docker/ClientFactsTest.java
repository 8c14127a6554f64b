package io.polyarch.build.docker;

import io.polyarch.oci.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** What a docker client said is found again only while the files that decide it are the same files. */
class ClientFactsTest {
    private static boolean systemHasBuildx() {
        return ClientLookup.buildxPlugin(Map.of("DOCKER_CONFIG", "/nonexistent")).map(Optional::isPresent).orElse(true);
    }

    private static Path client(Path dir, String body) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin")).resolve("docker");
        Files.writeString(bin, "#!/bin/sh\n" + body + "\n");
        bin.toFile().setExecutable(true);
        return bin;
    }

    @Test
    void aClientIsKnownAgainUntilItsBinaryOrItsBuildxPluginChanges(@TempDir Path dir) throws Exception {
        assumeFalse(systemHasBuildx(), "this machine has a system-wide buildx plugin");
        Path bin = client(dir, "echo 1");
        Path config = Files.createDirectories(dir.resolve("config"));
        Map<String, String> env = Map.of("PATH", bin.getParent().toString(), "DOCKER_CONFIG", config.toString(), "XDG_CACHE_HOME", dir.resolve("cache").toString());
        ClientFacts cache = ClientFacts.of(env);
        String key = ClientFacts.key("docker", env, Platform.LINUX_AMD64).orElseThrow();
        assertEquals(Optional.empty(), cache.get(key), "nothing known at first");
        cache.put(key, new ClientFacts.Facts("28.2.2", false));
        assertEquals(Optional.of(new ClientFacts.Facts("28.2.2", false)), ClientFacts.of(env).get(key), "known on the next run");
        assertEquals(key, ClientFacts.key(bin.toString(), env, Platform.LINUX_AMD64).orElseThrow(), "by PATH or by path: one client");

        Files.createDirectories(config.resolve("cli-plugins"));
        Files.writeString(config.resolve("cli-plugins/docker-buildx"), "#!/bin/sh\n");
        String withPlugin = ClientFacts.key("docker", env, Platform.LINUX_AMD64).orElseThrow();
        assertNotEquals(key, withPlugin, "a buildx plugin put where the client loads it makes it another client");
        assertEquals(Optional.empty(), cache.get(withPlugin));

        cache.put(withPlugin, new ClientFacts.Facts("28.2.2", true));
        client(dir, "echo 2 # a newer client");
        Files.setLastModifiedTime(bin, FileTime.fromMillis(Files.getLastModifiedTime(bin).toMillis() + 5000));
        String replaced = ClientFacts.key("docker", env, Platform.LINUX_AMD64).orElseThrow();
        assertNotEquals(withPlugin, replaced, "a replaced binary is another client");
        assertEquals(Optional.empty(), cache.get(replaced));
    }

    @Test
    void whatTheFilesCannotTellIsNeverKept(@TempDir Path dir) throws Exception {
        Path bin = client(dir, "echo 1");
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.writeString(config.resolve("config.json"), "{\"cliPluginsExtraDirs\": [\"/opt/plugins\"]}");
        Map<String, String> env = Map.of("PATH", bin.getParent().toString(), "DOCKER_CONFIG", config.toString());
        assertEquals(Optional.empty(), ClientFacts.key("docker", env, Platform.LINUX_AMD64), "plugin directories the config adds: ask the client");
        assertEquals(Optional.empty(), ClientFacts.key("docker", Map.of("PATH", dir.resolve("none").toString()), Platform.LINUX_AMD64),
                "no such binary");
        assertEquals(Optional.empty(), ClientFacts.key("docker", Map.of("PATH", bin.getParent().toString()), Platform.parse("darwin/arm64")),
                "off Linux the plugin directories are others");
    }

    @Test
    void aDamagedCacheIsACacheMissAndIsRewritten(@TempDir Path dir) throws Exception {
        Path cacheDir = Files.createDirectories(dir.resolve("cache/polyarch"));
        Files.write(cacheDir.resolve("docker-clients.tsv"), new byte[]{(byte) 0xff, (byte) 0xfe, 0, '\t', '\n', 'x'});
        Map<String, String> env = Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString());
        ClientFacts cache = ClientFacts.of(env);
        assertEquals(Optional.empty(), cache.get("k"));
        cache.put("k", new ClientFacts.Facts("26.1.5", true));
        assertEquals(Optional.of(new ClientFacts.Facts("26.1.5", true)), ClientFacts.of(env).get("k"));
        cache.put("bad\tkey", new ClientFacts.Facts("1", false));
        assertEquals(Optional.empty(), cache.get("bad"), "a key the file cannot hold is not kept");
    }

    @Test
    void theCacheKeepsTheNewestEntriesOnly(@TempDir Path dir) {
        Map<String, String> env = Map.of("HOME", dir.toString());
        ClientFacts cache = ClientFacts.of(env);
        for (int i = 0; i < 70; i++) cache.put("client-" + i, new ClientFacts.Facts("v" + i, false));
        assertEquals(Optional.empty(), cache.get("client-0"), "the oldest went");
        assertEquals(Optional.of(new ClientFacts.Facts("v69", false)), cache.get("client-69"));
        assertTrue(Files.isRegularFile(dir.resolve(".cache/polyarch/docker-clients.tsv")), "in ~/.cache/polyarch without XDG_CACHE_HOME");
    }
}
