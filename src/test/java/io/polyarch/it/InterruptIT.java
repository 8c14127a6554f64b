package io.polyarch.it;

import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C and SIGTERM (CodeBuild's stop and timeout) on a real {@code polyarch run} process whose builds take long:
 * every build stops, nothing is published, the summary says "interrupted", the JSON is written, exit 130 / 143.
 */
class InterruptIT {
    static TestRegistry reg;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        base = TestImages.publishBase(reg);
    }

    @AfterAll
    static void stop() {
        reg.close();
    }

    @ParameterizedTest(name = "SIG{0}")
    @CsvSource({"INT, 130", "TERM, 143"})
    void aSignalStopsEveryBuildPublishesNothingAndSaysSo(String signal, int exitCode, @TempDir Path tmp) throws Exception {
        String marker = "polyarch-interrupt-" + signal.toLowerCase(java.util.Locale.ROOT) + "-" + System.nanoTime();
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", """
                ARG BASE
                FROM ${BASE}
                RUN echo %s && sleep 120
                """.formatted(marker));
        g.commit("slow");
        String repo = reg.host() + "/interrupt/" + signal.toLowerCase(java.util.Locale.ROOT);
        Path jar = Path.of(System.getProperty("polyarch.jar", "target/polyarch.jar")).toAbsolutePath();
        Path json = tmp.resolve("run.json");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
                "run", "--source", g.dir().toString(), "--to", repo, "--build-arg", "BASE=" + base, "--json", json.toString()));
        Path out = tmp.resolve("out.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        // wait until both builds are in their RUN step
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && Files.readString(out).split(marker, -1).length < 3 + 2) Thread.sleep(200);
        assertTrue(p.isAlive(), "still building: " + Files.readString(out));
        Tools.run(List.of("kill", "-" + signal, String.valueOf(p.pid()))).requireOk("kill");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "polyarch stopped within a minute of SIG" + signal + ": " + Files.readString(out));
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(exitCode, p.exitValue(), text);
        assertTrue(text.contains("interrupted"), text);
        assertTrue(text.contains("FAILED"), "the summary is printed: " + text);
        assertFalse(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":latest")).code() == 0,
                "no index tag");
        String written = Files.readString(json);
        assertTrue(written.contains("\"ok\" : false") && written.contains("interrupted"), written);
        // the builds' processes are gone (BuildKit cancels the solve when its client goes)
        Thread.sleep(1000);
        String ps = Tools.run(List.of("ps", "-eo", "args")).out();
        assertFalse(ps.lines().anyMatch(l -> l.contains("docker") && l.contains(g.dir().toString())), "no build process left: " + ps);
    }
}
