package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.testing.Cli;
import io.polyarch.testing.FaultProxy;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code polyarch copy --all} and {@code polyarch run} driven many times through {@link FaultProxy} in front of real
 * registries, on a seeded schedule ({@code -Dpolyarch.faults.seed}). Half the runs see only faults shorter than the
 * retry budget (bursts of 5xx, 429 with Retry-After, resets mid-body, stalls past the idle timeout, trickles, cut
 * uploads) and must succeed; the other half also get an outage longer than the budget. Every run must end correct:
 * exit 0 with everything published (read back by skopeo from the registry itself), or exit 1 naming the fault with
 * every tag where it was before the run. Prints "faults injected / runs correct / runs survived".
 */
class FaultInjectionIT {
    static final long SEED = Long.getLong("polyarch.faults.seed", 20261201L);
    static final Map<String, String> ENV = Map.of("POLYARCH_REGISTRY_IDLE_TIMEOUT", "1");
    static TestRegistry a;
    static TestRegistry b;
    static FaultProxy proxyA;
    static FaultProxy proxyB;
    static Registries registries;
    static ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    static volatile java.util.concurrent.ScheduledFuture<?> pending;

    @BeforeAll
    static void start() throws Exception {
        a = TestRegistry.plain();
        b = TestRegistry.plain();
        proxyA = new FaultProxy("127.0.0.1", a.port(), 2500);
        proxyB = new FaultProxy("127.0.0.1", b.port(), 2500);
        registries = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS);
    }

    @AfterAll
    static void stop() {
        timer.shutdownNow();
        registries.close();
        proxyA.close();
        proxyB.close();
        a.close();
        b.close();
    }

    /** What a tag names, read from the registry itself (not through the proxy); null when there is no such tag. */
    static Digest tagged(TestRegistry reg, String repoAndTag) {
        var r = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + reg.host() + "/" + repoAndTag));
        return r.code() == 0 ? Digest.sha256(r.out().getBytes(StandardCharsets.UTF_8)) : null;
    }

    /** skopeo pulls the whole index, every child and blob, from the registry itself. */
    static boolean pullsCompletely(TestRegistry reg, String ref, Path dir) {
        return Tools.run(List.of("skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + reg.host() + "/" + ref, "dir:" + dir)).code() == 0;
    }

    static void assertFailedCleanly(Cli.Result r, String what) {
        assertEquals(1, r.code(), what + ": a failure of the work exits 1\n" + r);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception:"), what + ": no stack trace\n" + r);
        assertTrue((r.out() + r.err()).matches("(?s).*(FAILED|error).*(50[023]|429|reset|dropped|stopped answering|refused|UNAVAILABLE|ended).*"),
                what + ": the error names the fault\n" + r);
    }

    /**
     * A random rate of short faults, and on hostile runs an outage past the retry budget starting at a random moment
     * within {@code withinMillis} of the start (an outage that falls wholly within a build meets no request: survived).
     */
    static void arm(FaultProxy[] proxies, Random random, boolean hostile, int withinMillis) {
        for (FaultProxy p : proxies) p.schedule(random.nextLong(), 0.08 + random.nextDouble() * 0.12);
        if (hostile) {
            long at = random.nextInt(withinMillis);
            FaultProxy p = proxies[random.nextInt(proxies.length)];
            pending = timer.schedule(() -> p.outage(8000), at, TimeUnit.MILLISECONDS);
        }
    }

    static void quiet(FaultProxy... proxies) {
        // an outage scheduled for the last run that has not begun yet never begins
        if (pending != null) pending.cancel(false);
        for (FaultProxy p : proxies) {
            p.schedule(0, 0);
        }
    }

    @Test
    void copyAllThroughFaultsEndsCorrectEveryTime(@TempDir Path tmp) throws Exception {
        List<RawManifest> indexes = new ArrayList<>();
        try (RegistryClient src = registries.open(Reference.parse(a.host() + "/app"), true)) {
            for (int v = 0; v < 2; v++) {
                RawManifest amd = TestImages.push(src, "v" + v + "-amd64", "amd64", "amd64", false, TarBuilderLayers.random(2 << 20, 10 * v + 1));
                RawManifest arm = TestImages.push(src, "v" + v + "-arm64", "arm64", "arm64", false, TarBuilderLayers.random(2 << 20, 10 * v + 2));
                indexes.add(TestImages.pushIndex(src, "v" + v, List.of(amd, arm), List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64), null));
            }
        }
        Random random = new Random(SEED);
        int runs = Integer.getInteger("polyarch.faults.copies", 16);
        int correct = 0;
        int survived = 0;
        int mild = 0;
        int before = proxyA.injectedTotal() + proxyB.injectedTotal();
        for (int i = 0; i < runs; i++) {
            boolean hostile = i % 2 == 1;
            if (!hostile) mild++;
            String repo = "copy/r" + i;
            // the destination's tag names the other index before the run: a failed copy must leave it there
            quiet(proxyA, proxyB);
            var seed = Cli.run("copy", "--all", a.host() + "/app:v" + (1 - i % 2), b.host() + "/" + repo + ":current");
            assertEquals(0, seed.code(), seed.toString());
            Digest previous = indexes.get(1 - i % 2).digest();
            arm(new FaultProxy[] {proxyA, proxyB}, random, hostile, 1500);
            var r = Cli.run(ENV, "copy", "--all", proxyA.host() + "/app:v" + (i % 2), proxyB.host() + "/" + repo + ":current");
            quiet(proxyA, proxyB);
            String what = "copy " + i + (hostile ? " (with an outage)" : "");
            Digest now = tagged(b, repo + ":current");
            if (r.code() == 0) {
                assertEquals(indexes.get(i % 2).digest(), now, what);
                assertTrue(pullsCompletely(b, repo + ":current", Files.createTempDirectory(tmp, "pull")), what + ": every blob is there");
                survived++;
            } else {
                assertFailedCleanly(r, what);
                assertEquals(previous, now, what + ": the tag stays where it was");
                assertTrue(hostile, what + ": faults shorter than the retry budget must be survived\n" + r);
            }
            correct++;
        }
        int faults = proxyA.injectedTotal() + proxyB.injectedTotal() - before;
        System.out.printf("copy --all: faults injected %d / runs correct %d of %d / runs survived %d (all %d without an outage)%n  %s%n  %s%n",
                faults, correct, runs, survived, mild, proxyA.counts(), proxyB.counts());
        assertTrue(faults >= runs, "the schedule injected faults: " + faults);
    }

    static final String DOCKERFILE = """
            ARG BASE
            FROM ${BASE}
            ARG ARCH
            COPY data.bin /data.bin
            RUN echo "${ARCH}" > /arch.txt
            """;

    @Test
    void runThroughFaultsPublishesEverythingOrMovesNoTag(@TempDir Path tmp) throws Exception {
        String base;
        try (Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS)) {
            base = TestImages.publishBase(a, r).replace(a.host(), proxyA.host());
        }
        String repo = "fault/app";
        GitRepo g = GitRepo.init(tmp.resolve("src")).write("Dockerfile", DOCKERFILE).write("polyarch.yaml", """
                pipelineName: app
                destination:
                  registry:
                    repository: %s/%s
                    tagRules: [latest, commit-short]
                buildArgs:
                  BASE: %s
                """.formatted(proxyA.host(), repo, base));
        Random random = new Random(SEED + 1);
        byte[] data = new byte[1 << 20];
        random.nextBytes(data);
        Files.write(g.dir().resolve("data.bin"), data);
        g.commit("first");
        quiet(proxyA);
        var first = Cli.run(ENV, "run", "--source", g.dir().toString());
        assertEquals(0, first.code(), first.toString());

        int runs = Integer.getInteger("polyarch.faults.runs", 8);
        int correct = 0;
        int survived = 0;
        int mild = 0;
        int before = proxyA.injectedTotal();
        for (int i = 0; i < runs; i++) {
            boolean hostile = i % 2 == 1;
            if (!hostile) mild++;
            random.nextBytes(data);
            Files.write(g.dir().resolve("data.bin"), data);
            g.commit("change " + i);
            Digest latest = tagged(a, repo + ":latest");
            Digest amd = tagged(a, repo + ":latest-amd64");
            Digest arm = tagged(a, repo + ":latest-arm64");
            Path json = tmp.resolve("run" + i + ".json");
            arm(new FaultProxy[] {proxyA}, random, hostile, 9000);
            var r = Cli.run(ENV, "run", "--source", g.dir().toString(), "--json", json.toString());
            quiet(proxyA);
            String what = "run " + i + (hostile ? " (with an outage)" : "");
            if (r.code() == 0) {
                JsonNode j = OciJson.mapper().readTree(Files.readAllBytes(json));
                Digest index = Digest.parse(j.path("index").path("digest").asText());
                assertEquals(index, tagged(a, repo + ":latest"), what);
                for (JsonNode img : j.path("images")) {
                    String arch = Platform.parse(img.path("platform").asText()).architecture();
                    assertEquals(Digest.parse(img.path("digest").asText()), tagged(a, repo + ":latest-" + arch), what + ": arch tag agrees");
                }
                assertTrue(pullsCompletely(a, repo + ":latest", Files.createTempDirectory(tmp, "pull")), what + ": every blob is there");
                survived++;
            } else {
                assertFailedCleanly(r, what);
                assertEquals(latest, tagged(a, repo + ":latest"), what + ": latest stays where it was\n" + r);
                assertEquals(amd, tagged(a, repo + ":latest-amd64"), what + "\n" + r);
                assertEquals(arm, tagged(a, repo + ":latest-arm64"), what + "\n" + r);
                assertTrue(hostile, what + ": faults shorter than the retry budget must be survived\n" + r);
            }
            correct++;
        }
        int faults = proxyA.injectedTotal() - before;
        System.out.printf("run: faults injected %d / runs correct %d of %d / runs survived %d (all %d without an outage)%n  %s%n",
                faults, correct, runs, survived, mild, proxyA.counts());
        assertTrue(faults >= runs, "the schedule injected faults: " + faults);
    }
}
