package io.polyarch.cli;

/** A command that gets the invocation's {@link Context} (streams, environment) from {@link Main}'s factory. */
abstract class ContextCommand {
    Context ctx;

    void context(Context ctx) {
        this.ctx = ctx;
    }
}
