package io.polyarch.pipeline.plan;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.polyarch.pipeline.plan.DagRunner.State.CANCELLED;
import static io.polyarch.pipeline.plan.DagRunner.State.FAILED;
import static io.polyarch.pipeline.plan.DagRunner.State.FAILED_IGNORED;
import static io.polyarch.pipeline.plan.DagRunner.State.SKIPPED;
import static io.polyarch.pipeline.plan.DagRunner.State.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DagRunnerTest {
    /** The matrix shape: build[variant x platform] -> test[variant x platform] -> publish[variant]. */
    static Dag<String> matrix(boolean ignoreTestFailure) {
        Dag.Builder<String> b = Dag.builder();
        for (String v : List.of("py311", "py312")) {
            List<String> tests = new ArrayList<>();
            for (String p : List.of("amd64", "arm64")) {
                b.add("build " + v + " " + p, "build", List.of(), false);
                b.add("test " + v + " " + p, "test", List.of("build " + v + " " + p), ignoreTestFailure);
                tests.add("test " + v + " " + p);
            }
            b.add("publish " + v, "publish", tests, false);
        }
        return b.build();
    }

    static Map<String, DagRunner.State> states(DagRunner.Result r) {
        Map<String, DagRunner.State> m = new java.util.LinkedHashMap<>();
        r.outcomes().forEach((k, v) -> m.put(k, v.state()));
        return m;
    }

    @Test
    void everythingRunsInDependencyOrder() throws Exception {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        var r = new DagRunner(new DagRunner.Options(2, true)).run(matrix(false), j -> order.add(j.id()), DagRunner.Listener.NONE);
        assertTrue(r.ok());
        assertTrue(states(r).values().stream().allMatch(s -> s == SUCCEEDED));
        for (var j : matrix(false).jobs()) {
            for (String n : j.needs()) assertTrue(order.indexOf(n) < order.indexOf(j.id()), n + " before " + j.id() + " in " + order);
        }
    }

    @Test
    void withoutFastFailOnlyTheFailedVariantStops() throws Exception {
        var r = new DagRunner(new DagRunner.Options(2, false)).run(matrix(false), j -> {
            if (j.id().equals("test py312 arm64")) throw new IllegalStateException("exit 1: arm64 test failed");
        }, DagRunner.Listener.NONE);
        assertFalse(r.ok());
        Map<String, DagRunner.State> s = states(r);
        assertEquals(FAILED, s.get("test py312 arm64"));
        assertEquals("exit 1: arm64 test failed", r.outcomes().get("test py312 arm64").detail());
        assertEquals(SKIPPED, s.get("publish py312"));
        assertEquals(SUCCEEDED, s.get("publish py311"), "the other variant publishes");
        assertEquals(SUCCEEDED, s.get("test py312 amd64"));
    }

    @Test
    void fastFailCancelsWhatRunsAndWhatWaits() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        Dag<String> dag = Dag.<String>builder()
                .add("slow", "x")
                .add("fails", "x")
                .add("after-slow", "x", "slow")
                .build();
        var r = new DagRunner(new DagRunner.Options(2, true)).run(dag, j -> {
            if (j.id().equals("slow")) {
                slowStarted.countDown();
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    throw e;
                }
            }
            if (j.id().equals("fails")) {
                assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
                throw new RuntimeException("boom");
            }
        }, DagRunner.Listener.NONE);
        Map<String, DagRunner.State> s = states(r);
        assertEquals(FAILED, s.get("fails"));
        assertEquals(CANCELLED, s.get("slow"));
        assertEquals(CANCELLED, s.get("after-slow"));
        assertEquals(1, interrupted.get());
        assertTrue(r.outcomes().get("slow").duration().toSeconds() < 10, "cancelled, not waited for");
    }

    @Test
    void ignoredFailureLetsDependentsRunAndTheRunSucceed() throws Exception {
        var r = new DagRunner(new DagRunner.Options(2, true)).run(matrix(true), j -> {
            if (j.id().equals("test py311 arm64")) throw new IllegalStateException("flaky");
        }, DagRunner.Listener.NONE);
        assertTrue(r.ok());
        assertEquals(FAILED_IGNORED, states(r).get("test py311 arm64"));
        assertEquals(SUCCEEDED, states(r).get("publish py311"));
    }

    @Test
    void parallelismIsBounded() throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        Dag.Builder<String> b = Dag.builder();
        for (int i = 0; i < 8; i++) b.add("j" + i, "x");
        new DagRunner(new DagRunner.Options(3, false)).run(b.build(), j -> {
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
            Thread.sleep(20);
            now.decrementAndGet();
        }, DagRunner.Listener.NONE);
        assertEquals(3, max.get());
    }

    @Test
    void listenerSeesEveryTransition() throws Exception {
        Map<String, List<DagRunner.State>> seen = new ConcurrentHashMap<>();
        new DagRunner(new DagRunner.Options(1, false)).run(Dag.<String>builder().add("a", "x").add("b", "x", "a").build(),
                j -> { throw new RuntimeException("no"); },
                (job, state, detail) -> seen.computeIfAbsent(job, k -> Collections.synchronizedList(new ArrayList<>())).add(state));
        assertEquals(List.of(DagRunner.State.RUNNING, FAILED), seen.get("a"));
        assertEquals(List.of(SKIPPED), seen.get("b"));
    }

    @Test
    void badGraphsAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Dag.<String>builder().add("a", "x", "b").add("b", "x", "a").build())
                .getMessage().contains("cycle: a -> b -> a"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Dag.<String>builder().add("a", "x", "nope").build())
                .getMessage().contains("needs 'nope', which is not a job"));
        assertThrows(IllegalArgumentException.class, () -> Dag.<String>builder().add("a", "x").add("a", "y"));
    }

    @Test
    void orderIsTopologicalAndStable() {
        Dag<String> d = Dag.<String>builder().add("publish", "x", "b", "a").add("a", "x").add("b", "x", "a").build();
        assertEquals(List.of("a", "b", "publish"), d.order());
    }
}
