package io.polyarch.build.docker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Which docker clients are probed, and whether `docker buildx version` is worth a process start. */
class DockerBuilderProbeTest {
    static final io.polyarch.oci.Platform LINUX = io.polyarch.oci.Platform.LINUX_AMD64;

    private static final List<Path> SYSTEM_PLUGIN_DIRS = List.of(Path.of("/usr/local/lib/docker/cli-plugins"),
            Path.of("/usr/local/libexec/docker/cli-plugins"), Path.of("/usr/lib/docker/cli-plugins"), Path.of("/usr/libexec/docker/cli-plugins"));

    private static boolean systemHasBuildx() {
        return SYSTEM_PLUGIN_DIRS.stream().anyMatch(d -> Files.exists(d.resolve("docker-buildx")));
    }

    @Test
    void aBuildxPluginInTheClientConfigDirectoryIsProbed(@TempDir Path config) throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"));
        assumeFalse(systemHasBuildx(), "this machine has a system-wide buildx plugin");
        Map<String, String> env = Map.of("DOCKER_CONFIG", config.toString(), "HOME", config.toString());
        assertFalse(ClientLookup.buildxPluginMayExist(env, LINUX), "no plugin anywhere: no buildx probe");

        Files.createDirectories(config.resolve("cli-plugins"));
        Files.writeString(config.resolve("cli-plugins/docker-buildx"), "#!/bin/sh\n");
        assertTrue(ClientLookup.buildxPluginMayExist(env, LINUX), "the plugin in DOCKER_CONFIG/cli-plugins is found");
    }

    @Test
    void homeDockerDirectoryIsTheDefaultConfig(@TempDir Path home) throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"));
        assumeFalse(systemHasBuildx(), "this machine has a system-wide buildx plugin");
        Files.createDirectories(home.resolve(".docker/cli-plugins"));
        Files.writeString(home.resolve(".docker/cli-plugins/docker-buildx"), "#!/bin/sh\n");
        assertTrue(ClientLookup.buildxPluginMayExist(Map.of("HOME", home.toString()), LINUX));
        assertFalse(ClientLookup.buildxPluginMayExist(Map.of("HOME", home.resolve("elsewhere").toString()), LINUX));
    }

    @Test
    void extraPluginDirectoriesInTheConfigMeanTheProbeDecides(@TempDir Path config) throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"));
        Files.writeString(config.resolve("config.json"), "{\"cliPluginsExtraDirs\": [\"/opt/docker-plugins\"]}");
        assertTrue(ClientLookup.buildxPluginMayExist(Map.of("DOCKER_CONFIG", config.toString()), LINUX));
    }

    @Test
    void theSameClientOnPathAndAtUsrBinIsProbedOnce(@TempDir Path dir) throws Exception {
        Path debian = Path.of("/usr/bin/docker");
        assumeTrue(Files.isExecutable(debian), "needs /usr/bin/docker");
        Path link = Files.createSymbolicLink(dir.resolve("docker"), debian);
        assertEquals(List.of("docker"), ClientLookup.defaultCandidates(Map.of("PATH", link.getParent().toString())));

        Path other = Files.createDirectories(dir.resolve("other"));
        Path script = Files.writeString(other.resolve("docker"), "#!/bin/sh\n");
        script.toFile().setExecutable(true);
        assertEquals(List.of("docker", "/usr/bin/docker"), ClientLookup.defaultCandidates(Map.of("PATH", other.toString())));
        assertEquals(List.of("docker", "/usr/bin/docker"), ClientLookup.defaultCandidates(Map.of("PATH", "")));
    }

    @Test
    void anOutputPathWithACommaOrAQuoteIsQuotedForBuildxsCsv() {
        assertEquals("dest=/tmp/x", DockerBuilder.csvField("dest=/tmp/x"));
        assertEquals("\"dest=/tmp/a,b\"", DockerBuilder.csvField("dest=/tmp/a,b"));
        assertEquals("\"dest=/tmp/say \"\"hi\"\"\"", DockerBuilder.csvField("dest=/tmp/say \"hi\""));
    }
}
