package io.polyarch.build;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** Passes a build's lines on and keeps the last few, which are what a failure message shows. */
public final class LogTail implements BuildLog {
    private static final int KEEP = 15;
    private final BuildLog next;
    private final Deque<String> tail = new ArrayDeque<>();

    public LogTail(BuildLog next) {
        this.next = next;
    }

    @Override
    public void line(String line) {
        next.line(line);
        synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > KEEP) tail.removeFirst();
        }
    }

    /** The last lines, indented for a message. */
    public String text() {
        synchronized (tail) {
            return "    " + String.join("\n    ", tail);
        }
    }

    /** {@code --build-arg K=V} for each argument, {@code --target} if set, {@code --label}s, then the context: what both drivers end with. */
    public static List<String> argsAndContext(BuildRequest req) {
        List<String> out = new java.util.ArrayList<>();
        req.buildArgs().forEach((k, v) -> out.addAll(List.of("--build-arg", k + "=" + v)));
        if (req.target() != null) out.addAll(List.of("--target", req.target()));
        out.addAll(req.extras().flags());
        new java.util.TreeMap<>(req.labels()).forEach((k, v) -> out.addAll(List.of("--label", k + "=" + v)));
        out.add(req.context().toString());
        return out;
    }
}
