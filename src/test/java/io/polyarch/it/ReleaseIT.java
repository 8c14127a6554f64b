package io.polyarch.it;

import io.polyarch.testing.GitRepo;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release artifact ({@code scripts/release.sh}) runs where there is only a Java runtime: no JDK (no javac), no
 * Maven, no sources; its start-up cache goes to the user's cache directory, not beside the jar.
 */
class ReleaseIT {
    static final Path JAR = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();

    @Test
    void theTarballNeedsOnlyAJavaRuntime(@TempDir Path tmp) throws Exception {
        var rel = Tools.run(List.of("bash", "scripts/release.sh"), null, Map.of("POLYARCH_JAR", JAR.toString()), 300).requireOk("release.sh");
        Path tarball = Path.of(rel.out().strip());
        assertTrue(Files.isRegularFile(tarball), rel.out());
        assertTrue(Files.isRegularFile(tarball.resolveSibling("polyarch.jar")), "the jar the CI exports download");
        Tools.run(List.of("tar", "-C", tmp.toString(), "-xzf", tarball.toString())).requireOk("tar");
        Path home;
        try (var s = Files.list(tmp)) {
            home = s.filter(p -> p.getFileName().toString().startsWith("polyarch-")).findFirst().orElseThrow();
        }
        // a runtime with java and nothing else: no javac, no Maven, no JDK on PATH
        Path jre = Files.createDirectories(tmp.resolve("jre/bin")).getParent();
        Path javaHome = Path.of(System.getProperty("java.home"));
        Files.createSymbolicLink(jre.resolve("bin/java"), javaHome.resolve("bin/java"));
        Files.copy(javaHome.resolve("release"), jre.resolve("release"));
        Path user = Files.createDirectories(tmp.resolve("user"));
        GitRepo g = GitRepo.init(tmp.resolve("app")).write("Dockerfile", "FROM scratch\nCOPY . /\n")
                .write("polyarch.yaml", "destination: {registry: {repository: registry.example/app}}\n");
        g.commit("app");
        Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "HOME", user.toString(), "JAVA_HOME", jre.toString(), "PWD", g.dir().toString());
        var plan = Tools.run(List.of("env", "-i", "PATH=/usr/bin:/bin", "HOME=" + user, "JAVA_HOME=" + jre, "PWD=" + g.dir(),
                home.resolve("polyarch").toString(), "plan"), g.dir(), env, 120);
        assertEquals(0, plan.code(), plan.toString());
        assertTrue(plan.out().contains("publish registry.example/app"), plan.out());
        assertFalse(Files.exists(home.resolve("target")), "nothing built or cached beside the release");
        try (var s = Files.walk(user.resolve(".cache/polyarch"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().matches("polyarch.*\\.(aot|jsa)")), "the start-up cache is the user's");
        }
    }
}
