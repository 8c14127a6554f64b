package io.polyarch.cli;

/**
 * Ctrl-C (SIGINT) and SIGTERM (what CodeBuild's stop and timeout send) ask the command to stop rather than kill the
 * JVM: the first interrupts the command's thread, which cancels every build and test (their processes killed),
 * publishes nothing, removes its scratch, prints its summary and exits 130 or 143. A second signal ends the process
 * at once.
 */
final class Signals {
    private Signals() {
    }

    static void install(Context ctx, Thread command) {
        for (String name : new String[]{"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    if (ctx.signal() != null) Runtime.getRuntime().halt(ctx.signalExitCode());
                    ctx.signal(name);
                    command.interrupt();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // this platform has no such signal: the JVM's default stays
            }
        }
    }
}
