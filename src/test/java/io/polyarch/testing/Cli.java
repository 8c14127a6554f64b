package io.polyarch.testing;

import io.polyarch.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;

/** Runs the polyarch CLI in-process with captured streams. */
public final class Cli {
    private Cli() {
    }

    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    public static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> e = new HashMap<>(System.getenv());
        e.putAll(env);
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), e);
        return new Result(code, out.toString(), err.toString());
    }

    public static Result run(String... args) {
        return run(Map.of(), args);
    }
}
