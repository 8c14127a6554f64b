package io.polyarch.cli;

import io.polyarch.pipeline.run.RunListener;
import io.polyarch.registry.http.Redact;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Build output on standard error: every log line prefixed with its platform, and on a terminal a live status
 * line ({@code linux/amd64 building 12s | linux/arm64 pushing 3s}) kept below the log. Plain lines otherwise.
 */
final class Terminal implements RunListener {
    private final PrintWriter err;
    private final boolean quiet;
    private final boolean live;
    private final Map<String, String> states = new LinkedHashMap<>();
    private final Map<String, Long> since = new LinkedHashMap<>();
    private final ScheduledExecutorService ticker;
    private boolean statusShown;

    Terminal(Context ctx, boolean quiet) {
        this.err = ctx.err;
        this.quiet = quiet;
        this.live = ctx.interactive() && !quiet && !"dumb".equals(ctx.env.get("TERM"));
        if (live) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "status");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::redraw, 1, 1, TimeUnit.SECONDS);
        } else {
            ticker = null;
        }
    }

    void info(String line) {
        print(line);
    }

    @Override
    public synchronized void state(String platform, String state) {
        states.put(platform, state);
        since.put(platform, System.nanoTime());
        if (!live && !quiet) print("[" + platform + "] " + state);
        else redrawLocked();
    }

    @Override
    public void log(String platform, String line) {
        if (!quiet) print("[" + platform + "] " + Redact.text(line));
    }

    @Override
    public void note(String message) {
        print("note: " + Redact.text(message));
    }

    private synchronized void print(String line) {
        if (live && statusShown) err.print("\r\033[K");
        err.println(line);
        statusShown = false;
        if (live) redrawLocked();
        else err.flush();
    }

    private synchronized void redraw() {
        redrawLocked();
    }

    private void redrawLocked() {
        if (!live || states.isEmpty()) return;
        StringBuilder sb = new StringBuilder();
        for (var e : states.entrySet()) {
            if (sb.length() > 0) sb.append(" | ");
            long s = (System.nanoTime() - since.get(e.getKey())) / 1_000_000_000L;
            sb.append(e.getKey()).append(' ').append(e.getValue()).append(' ').append(s).append('s');
        }
        err.print("\r\033[K" + sb);
        err.flush();
        statusShown = true;
    }

    synchronized void stop() {
        if (ticker != null) ticker.shutdownNow();
        if (live && statusShown) {
            err.print("\r\033[K");
            err.flush();
            statusShown = false;
        }
    }
}
