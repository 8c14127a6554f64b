package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * polyarch's own image, built by {@code polyarch run} from a clone of this repository as a user would (the root
 * Dockerfile and polyarch.yaml; Debian 13 for the base, debootstrapped by scripts/setup.sh since no public registry is
 * reachable here; the arm64 image built and tested under QEMU), then used: each architecture's image runs, and the
 * amd64 one builds and publishes a two-platform image through the host's engine, as a CI job in a container would.
 */
class PolyarchImageIT {
    static TestRegistry reg;
    static String debian;
    static String busybox;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        Map<String, Path> tars = new LinkedHashMap<>();
        for (String arch : List.of("amd64", "arm64")) {
            Path tar = TestImages.fixtures().resolve("debian-trixie-" + arch + ".tar");
            if (!Files.isRegularFile(tar)) throw new IllegalStateException(tar + " missing: run scripts/setup.sh (as root) first");
            tars.put(arch, tar);
        }
        try (Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS)) {
            debian = TestImages.publishRootfs(reg, r, "debian", "trixie", tars);
            busybox = TestImages.publishBase(reg, r);
        }
    }

    @AfterAll
    static void stop() {
        reg.close();
    }

    static Tools.Result docker(int timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Tools.docker()));
        cmd.addAll(List.of(args));
        return Tools.run(cmd, Path.of("/"), Map.of(), timeoutSeconds);
    }

    @Test
    void polyarchBuildsItsOwnImageForBothArchitecturesAndThatImagePublishesAnother(@TempDir Path tmp) throws Exception {
        // this repository as committed: what a user who clones it gets
        Path src = tmp.resolve("polyarch");
        Tools.run(List.of("git", "clone", "-q", Path.of(System.getProperty("user.dir")).toString(), src.toString())).requireOk("git clone");
        String image = reg.host() + "/polyarch";
        Path json = tmp.resolve("run.json");
        List<String> args = new ArrayList<>(List.of("run", "--to", image, "--build-arg", "BASE=" + debian, "--json", json.toString()));
        // a machine whose egress goes through a TLS-intercepting proxy trusts it by the CAs added here: the build gets them
        // as the Dockerfile's extra-ca secret (for Maven in the jar stage, never in the image)
        Path cas = Path.of("/usr/local/share/ca-certificates");
        if (Files.isDirectory(cas)) {
            StringBuilder bundle = new StringBuilder();
            try (var files = Files.list(cas)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".crt")).sorted().toList()) bundle.append(Files.readString(f)).append('\n');
            }
            if (!bundle.isEmpty()) {
                Path ca = Files.writeString(tmp.resolve("extra-ca.crt"), bundle);
                args.addAll(List.of("--secret", "id=extra-ca,src=" + ca));
            }
        }
        var r = Cli.run(Map.of("PWD", src.toString()), args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        JsonNode s = OciJson.mapper().readTree(Files.readAllBytes(json));
        assertEquals(List.of("linux/amd64", "linux/arm64"), s.path("images").findValuesAsText("platform"));

        // each architecture's image is that architecture and runs polyarch
        for (String[] p : List.of(new String[]{"linux/amd64", "x86_64"}, new String[]{"linux/arm64", "aarch64"})) {
            var uname = docker(300, "run", "--rm", "--pull", "always", "--platform", p[0], "--entrypoint", "uname", image + ":latest", "-m");
            assertEquals(p[1], uname.requireOk("uname in " + p[0]).out().strip());
            var version = docker(300, "run", "--rm", "--platform", p[0], image + ":latest", "--version");
            assertTrue(version.requireOk("--version in " + p[0]).out().startsWith("polyarch "), version.out());
        }

        // nothing of the build machine in the image: no CA of its own, no sources, no Maven repository
        var inside = docker(300, "run", "--rm", "--platform", "linux/amd64", "--entrypoint", "sh", image + ":latest", "-c",
                "ls /usr/local/share/ca-certificates /src /root/.m2 2>&1; true");
        assertTrue(!inside.out().contains("extra-ca") && inside.out().contains("/src") && inside.out().contains("/root/.m2")
                && inside.out().contains("No such file"), inside.out());

        // a CI job in the image: a repository mounted, the host's engine through its socket, publishing to the registry
        Path app = tmp.resolve("app");
        GitRepo g = GitRepo.init(app).write("Dockerfile", RunIT.APP_DOCKERFILE).write(".dockerignore", ".git\n")
                .write("polyarch.yaml", "destination: {registry: {repository: " + reg.host() + "/from-container}}\nbuildArgs: {BASE: " + busybox + "}\n");
        g.commit("app");
        var job = docker(900, "run", "--rm", "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock",
                "-v", app + ":/work", "-w", "/work", image + ":latest", "run", "--json", "-");
        assertEquals(0, job.code(), job.toString());
        JsonNode published = OciJson.mapper().readTree(job.out());
        assertTrue(published.path("ok").asBoolean(), job.out());
        assertEquals("ARCH=arm64 machine=aarch64", RunIT.dockerRun("linux/arm64", reg.host() + "/from-container:latest"));
        assertEquals("ARCH=amd64 machine=x86_64", RunIT.dockerRun("linux/amd64", reg.host() + "/from-container:latest"));
    }
}
