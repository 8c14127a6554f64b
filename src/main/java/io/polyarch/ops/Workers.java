package io.polyarch.ops;

import io.polyarch.store.StoreException;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One bounded pool for the background work of a run (registry lookups, base checks, blob uploads, tag writes,
 * clean-up), with per-key de-duplication: work under a key already under way elsewhere (the same blob pushed by
 * two cells) is joined, not done twice (ggcr's {@code workers.Do}). Made once per run and handed to whatever needs
 * threads, instead of each step making its own.
 * <p>
 * Platform daemon threads, not virtual ones: a virtual thread's socket I/O starts the JVM's poller, whose thread
 * sits in native code and holds up the JVM's exit by 0.3 s; and a blob copy, a long blocking stream, was 35% slower
 * on virtual threads (bench/copy.sh).
 */
public final class Workers implements AutoCloseable {
    /** Work that may fail with a store error. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    private final ExecutorService pool;
    private final Map<Object, CompletableFuture<Object>> once = new ConcurrentHashMap<>();

    /** @param threads at most this many tasks run at once; the rest wait in line */
    public Workers(int threads, String name) {
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), Thread.ofPlatform().daemon().name(name + "-", 0).factory());
    }

    /** Starts {@code work}; its future cancels with an interrupt. */
    public <T> Future<T> submit(Work<T> work) {
        return pool.submit(work::run);
    }

    /** Starts {@code work}, for callers that compose its result; {@link #await} unwraps its failure. */
    public <T> CompletableFuture<T> async(Work<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, pool);
    }

    /**
     * Runs {@code work} in the calling thread unless work under the same key is already running or done, in which
     * case its result (or failure) is shared. A failed result is forgotten, so a later caller tries again.
     */
    @SuppressWarnings("unchecked")
    public <T> T once(Object key, Work<T> work) throws Exception {
        CompletableFuture<Object> mine = new CompletableFuture<>();
        CompletableFuture<Object> running = once.putIfAbsent(key, mine);
        if (running != null) return (T) unwrap(running);
        try {
            T value = work.run();
            mine.complete(value);
            return value;
        } catch (Exception | Error e) {
            once.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** The result of {@link #async} work, with the store error (or unchecked exception) it threw. */
    public static <T> T await(CompletableFuture<T> f) throws StoreException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
            if (c instanceof StoreException se) throw se;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof InterruptedException ie) throw ie;
            throw new IllegalStateException(c);
        }
    }

    private static Object unwrap(CompletableFuture<Object> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
