package io.polyarch.cli;

import io.polyarch.error.PolyarchException;
import io.polyarch.registry.http.Redact;
import io.polyarch.registry.RegistryOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Map;

/** The {@code polyarch} command. Exit codes: 0 success, 1 the work failed, 2 bad usage or config. */
@Command(name = "polyarch", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Build, index and publish multi-architecture container images.")
public final class Main implements Runnable {
    /** Every command, in the order --help lists them. */
    static final Map<String, Class<?>> COMMANDS = orderedCommands();

    private static Map<String, Class<?>> orderedCommands() {
        Map<String, Class<?>> m = new java.util.LinkedHashMap<>();
        m.put("run", RunCommand.class);
        m.put("plan", PlanCommand.class);
        m.put("index", IndexCommand.class);
        m.put("inspect", InspectCommand.class);
        m.put("verify", VerifyCommand.class);
        m.put("copy", CopyCommand.class);
        m.put("soci", SociCommand.class);
        m.put("aws", AwsCommand.class);
        m.put("export", ExportCommand.class);
        m.put("train", TrainCommand.class);
        m.put("help", CommandLine.HelpCommand.class);
        return java.util.Collections.unmodifiableMap(m);
    }

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try polyarch --help");
    }

    public static void main(String[] args) {
        Context ctx = new Context(new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv());
        ctx.interactive(isTerminal());
        Signals.install(ctx, Thread.currentThread());
        System.exit(execute(args, ctx));
    }

    /** Runs the CLI with injected streams and environment; the seam the tests use. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        return execute(args, out, err, env, false);
    }

    static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, boolean terminal) {
        Context ctx = new Context(out, err, env);
        ctx.interactive(terminal);
        return execute(args, ctx);
    }

    static int execute(String[] args, Context ctx) {
        PrintWriter out = ctx.out;
        PrintWriter err = ctx.err;
        ContextFactory factory = new ContextFactory(ctx);
        CommandLine cl = new CommandLine(new Main(), factory);
        // Only the command asked for is built: picocli reflects over every option of every command it is given,
        // which was most of a command's start-up (0.17 s before `run` began).
        String first = args.length > 0 ? args[0] : "";
        Class<?> only = COMMANDS.get(first);
        try {
            if (only != null && !first.equals("help")) {
                cl.addSubcommand(first, factory.create(only));
            } else {
                for (var e : COMMANDS.entrySet()) cl.addSubcommand(e.getKey(), factory.create(e.getValue()));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the command line", e);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("polyarch: error: " + Redact.text(ex.getMessage()));
            CommandLine c = ex.getCommandLine();
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            if (ctx.signal() != null || ex instanceof InterruptedException) {
                err.println("polyarch: interrupted" + (ctx.signal() != null ? " (SIG" + ctx.signal() + ")" : "") + "; nothing more was published");
                err.flush();
                return ctx.signal() != null ? ctx.signalExitCode() : 130;
            }
            return report(ex, err, ctx.debug());
        });
        return cl.execute(args);
    }

    /**
     * The one place errors become exit codes: a {@link PolyarchException} carries its kind (usage: 2, failure: 1)
     * and a message that names what is at fault; anything else is a programming error, shown with its stack trace.
     */
    static int report(Exception ex, PrintWriter err, boolean debug) {
        int code;
        String msg;
        if (ex instanceof PolyarchException p) {
            code = p.kind().exitCode();
            msg = ex.getMessage();
        } else {
            code = FAILED;
            msg = "internal error: " + ex;
            debug = true;
        }
        err.println("polyarch: error: " + Redact.text(msg));
        if (debug) {
            java.io.StringWriter sw = new java.io.StringWriter();
            ex.printStackTrace(new PrintWriter(sw));
            err.println(Redact.text(sw.toString()));
        }
        err.flush();
        return code;
    }

    /** A console that is a real terminal (JDK 22+ returns a console for redirected streams too, with isTerminal()). */
    private static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"polyarch " + RegistryOptions.version(),
                    "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }

    /** Hands every command the shared context. */
    record ContextFactory(Context ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (ContextCommand.class.isAssignableFrom(cls)) {
                K k = CommandLine.defaultFactory().create(cls);
                ((ContextCommand) k).context(ctx);
                return k;
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }
}
