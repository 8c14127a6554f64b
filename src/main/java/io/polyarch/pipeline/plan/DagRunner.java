package io.polyarch.pipeline.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs a {@link Dag}: at most {@code parallelism} jobs at once, each as soon as everything it needs has
 * succeeded (or failed with {@code ignoreFailure}). With {@code fastFail}, the first failure cancels the
 * running jobs (they are interrupted) and everything not started; without it, only the dependents of a failed
 * job are skipped and every other job runs to its end. No terminal code: progress goes to a {@link Listener};
 * the local executor and a remote one (CodeBuild) use the same runner.
 */
public final class DagRunner {
    public enum State {
        PENDING, RUNNING, SUCCEEDED, FAILED,
        /** Failed, but the job has ignoreFailure: its dependents still run and the run is not failed by it. */
        FAILED_IGNORED,
        /** Not run: something it needs failed. */
        SKIPPED,
        /** Not run or stopped: fastFail after another job's failure. */
        CANCELLED;

        public boolean finished() {
            return this != PENDING && this != RUNNING;
        }
    }

    public record Options(int parallelism, boolean fastFail) {
        public Options {
            if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1");
        }
    }

    /** What a job does; throwing fails it. Interruption means fastFail cancelled it. */
    @FunctionalInterface
    public interface Work<T> {
        void run(Dag.Job<T> job) throws Exception;
    }

    @FunctionalInterface
    public interface Listener {
        /** {@code detail}: why it failed, was skipped or cancelled; null otherwise. */
        void changed(String job, State state, String detail);

        Listener NONE = (j, s, d) -> {
        };
    }

    public record Outcome(State state, Duration duration, String detail) {
    }

    /**
     * Every job's outcome, in plan order; {@code ok} when no job failed without ignoreFailure; {@code interrupted}
     * when the run was stopped from outside (the caller's thread interrupted: Ctrl-C, SIGTERM), every job still
     * running then cancelled and waited for.
     */
    public record Result(Map<String, Outcome> outcomes, boolean ok, boolean interrupted) {
        public Result {
            outcomes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outcomes));
        }

        public Result(Map<String, Outcome> outcomes, boolean ok) {
            this(outcomes, ok, false);
        }
    }

    /** How long cancelled jobs get to end (their processes are killed) after an interruption. */
    static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private record Done(String id, Throwable error, long nanos) {
    }

    private final Options options;

    public DagRunner(Options options) {
        this.options = options;
    }

    /** Stops these jobs: each is interrupted if it runs, or gives up at once when it begins. */
    private static void stop(java.util.Set<String> ids, java.util.Set<String> stopped, Map<String, Thread> threads) {
        for (String id : ids) {
            stopped.add(id);
            Thread t = threads.get(id);
            if (t != null) t.interrupt();
        }
    }

    public <T> Result run(Dag<T> dag, Work<T> work, Listener listener) throws InterruptedException {
        Map<String, State> state = new LinkedHashMap<>();
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (String id : dag.order()) {
            state.put(id, State.PENDING);
            outcomes.put(id, null);
        }
        LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();
        Map<String, Future<?>> running = new LinkedHashMap<>();
        // A job is stopped through its own thread, never by cancelling its future: a future cancelled before its task
        // began would never report, and this loop would wait for it forever.
        Map<String, Thread> threads = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Set<String> stopped = java.util.concurrent.ConcurrentHashMap.newKeySet();
        boolean cancelling = false;
        boolean interrupted = false;
        // Platform threads: jobs are long blocking builds and processes.
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism());
        try {
            while (true) {
                if (!cancelling) {
                    for (String id : dag.order()) {
                        if (running.size() >= options.parallelism()) break;
                        if (state.get(id) != State.PENDING) continue;
                        Dag.Job<T> job = dag.job(id);
                        if (!job.needs().stream().allMatch(n -> state.get(n) == State.SUCCEEDED || state.get(n) == State.FAILED_IGNORED)) continue;
                        state.put(id, State.RUNNING);
                        listener.changed(id, State.RUNNING, null);
                        long start = System.nanoTime();
                        running.put(id, pool.submit(() -> {
                            Throwable error = null;
                            threads.put(id, Thread.currentThread());
                            Thread.interrupted(); // an interrupt meant for the thread's previous job
                            try {
                                if (stopped.contains(id)) throw new InterruptedException("stopped before it began");
                                work.run(job);
                            } catch (Throwable t) {
                                error = t;
                            } finally {
                                threads.remove(id);
                            }
                            done.add(new Done(id, error, System.nanoTime() - start));
                        }));
                    }
                }
                if (running.isEmpty()) break;
                Done d;
                if (interrupted) {
                    d = done.poll(STOP_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (d == null) break; // a job that ignores its interruption: left to the pool's shutdown
                } else {
                    try {
                        d = done.take();
                    } catch (InterruptedException e) {
                        // stopped from outside: cancel what runs, start nothing more, wait for the running jobs to end
                        interrupted = true;
                        cancelling = true;
                        stop(running.keySet(), stopped, threads);
                        continue;
                    }
                }
                running.remove(d.id());
                Dag.Job<T> job = dag.job(d.id());
                State s;
                String detail = null;
                if (d.error() == null) {
                    s = State.SUCCEEDED;
                } else if (interrupted) {
                    s = State.CANCELLED;
                    detail = "cancelled: the run was interrupted";
                } else if (cancelling && d.error() instanceof InterruptedException) {
                    s = State.CANCELLED;
                    detail = "cancelled after another job failed (fastFail)";
                } else {
                    s = job.ignoreFailure() ? State.FAILED_IGNORED : State.FAILED;
                    detail = message(d.error());
                }
                state.put(d.id(), s);
                outcomes.put(d.id(), new Outcome(s, Duration.ofNanos(d.nanos()), detail));
                listener.changed(d.id(), s, detail);
                if (s == State.FAILED) {
                    if (options.fastFail() && !cancelling) {
                        cancelling = true;
                        stop(running.keySet(), stopped, threads);
                    } else {
                        skipDependents(dag, d.id(), state, outcomes, listener);
                    }
                }
            }
            for (String id : dag.order()) {
                if (state.get(id) == State.RUNNING) {
                    state.put(id, State.CANCELLED);
                    outcomes.put(id, new Outcome(State.CANCELLED, Duration.ZERO, "cancelled: the run was interrupted and the job did not stop in time"));
                    listener.changed(id, State.CANCELLED, "interrupted");
                }
                if (state.get(id) == State.PENDING) {
                    State s = cancelling ? State.CANCELLED : State.SKIPPED;
                    String detail = interrupted ? "not started: the run was interrupted" : cancelling ? "not started: another job failed (fastFail)" : "not started";
                    state.put(id, s);
                    outcomes.put(id, new Outcome(s, Duration.ZERO, detail));
                    listener.changed(id, s, detail);
                }
            }
        } catch (InterruptedException e) {
            stop(running.keySet(), stopped, threads);
            throw e;
        } finally {
            pool.shutdownNow();
        }
        boolean ok = !interrupted && outcomes.values().stream().noneMatch(o -> o.state() == State.FAILED || o.state() == State.SKIPPED || o.state() == State.CANCELLED);
        return new Result(outcomes, ok, interrupted);
    }

    private static <T> void skipDependents(Dag<T> dag, String failed, Map<String, State> state, Map<String, Outcome> outcomes, Listener listener) {
        List<String> queue = new ArrayList<>(dag.dependents(failed));
        while (!queue.isEmpty()) {
            String id = queue.remove(0);
            if (state.get(id) != State.PENDING) continue;
            String detail = "skipped: " + failed + " failed";
            state.put(id, State.SKIPPED);
            outcomes.put(id, new Outcome(State.SKIPPED, Duration.ZERO, detail));
            listener.changed(id, State.SKIPPED, detail);
            queue.addAll(dag.dependents(id));
        }
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.toString() : m;
    }
}
