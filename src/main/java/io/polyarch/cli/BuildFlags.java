package io.polyarch.cli;

import io.polyarch.build.BuildExtras;
import io.polyarch.ops.InvalidInputException;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --secret}, {@code --ssh}, {@code --no-cache} and {@code --network} of {@code run}, as docker buildx takes them.
 * A secret from the environment ({@code env=VAR}) is written by the run into its own scratch (mode 0600 in a 0700
 * directory, removed with it); its value is never printed and is in no build key.
 */
final class BuildFlags {
    @Option(names = "--secret", paramLabel = "id=ID,src=FILE|env=VAR",
            description = "A build secret for RUN --mount=type=secret,id=ID (repeatable). It reaches no layer, log, summary or build key; a changed secret does not rebuild.")
    List<String> secrets = new ArrayList<>();

    @Option(names = "--ssh", paramLabel = "default|ID=PATH",
            description = "An SSH agent socket or key for RUN --mount=type=ssh (repeatable): default is the agent at SSH_AUTH_SOCK.")
    List<String> ssh = new ArrayList<>();

    @Option(names = "--no-cache", description = "Build every step again: no layer cache, no registry cache, no reuse by build key (implies --rebuild).")
    boolean noCache;

    @Option(names = "--network", paramLabel = "default|none|host", description = "The network for RUN steps.")
    String network;

    private record Source(String src, String env, String where) {
    }

    /**
     * The extras: the config's {@code build:} options with the flags over them (a flag's secret replaces the config's of
     * the same id); a secret from the environment is carried as its value, which the run writes into its own scratch.
     */
    BuildExtras extras(Map<String, String> env, io.polyarch.pipeline.spec.PipelineSpec.BuildOptions config) throws InvalidInputException {
        String net = network != null ? network : config.network();
        if (net != null && !BuildExtras.NETWORKS.contains(net)) {
            throw new InvalidInputException("--network '" + net + "': expected one of " + String.join(", ", BuildExtras.NETWORKS));
        }
        Map<String, Source> sources = new java.util.LinkedHashMap<>();
        config.secrets().forEach((id, ref) -> sources.put(id, new Source(ref.src(), ref.env(), "build.secrets." + id)));
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String s : secrets) {
            String id = null;
            String src = null;
            String var = null;
            for (String part : s.split(",")) {
                int eq = part.indexOf('=');
                String k = eq < 0 ? part : part.substring(0, eq);
                String v = eq < 0 ? "" : part.substring(eq + 1);
                switch (k) {
                    case "id" -> id = v;
                    case "src", "source" -> src = v;
                    case "env" -> var = v;
                    case "type" -> {
                        if (!v.equals("file") && !v.equals("env")) throw new InvalidInputException("--secret '" + s + "': type is file or env");
                    }
                    default -> throw new InvalidInputException("--secret '" + s + "': unknown key '" + k + "'; expected id=ID,src=FILE or id=ID,env=VAR");
                }
            }
            if (id == null || !id.matches("[A-Za-z0-9_.-]{1,128}")) throw new InvalidInputException("--secret '" + s + "': give id=ID (letters, digits, '_', '.', '-')");
            if (!ids.add(id)) throw new InvalidInputException("--secret: id " + id + " is given twice");
            if ((src == null) == (var == null)) throw new InvalidInputException("--secret id=" + id + ": give exactly one of src=FILE or env=VAR");
            sources.put(id, new Source(src, var, "--secret id=" + id));
        }
        List<BuildExtras.Secret> out = new ArrayList<>();
        for (var e : sources.entrySet()) {
            String id = e.getKey();
            Source so = e.getValue();
            if (so.src() != null) {
                Path file = Path.of(so.src()).toAbsolutePath();
                if (!Files.isRegularFile(file) || !Files.isReadable(file)) throw new InvalidInputException(so.where() + ": no readable file " + so.src());
                out.add(BuildExtras.Secret.ofFile(id, file));
            } else {
                String value = env.get(so.env());
                if (value == null) throw new InvalidInputException(so.where() + ": the environment variable " + so.env() + " is not set");
                out.add(BuildExtras.Secret.ofValue(id, value));
            }
        }
        List<String> allSsh = new ArrayList<>(config.ssh());
        for (String s : ssh) if (!allSsh.contains(s)) allSsh.add(s);
        for (String s : allSsh) {
            int eq = s.indexOf('=');
            String id = eq < 0 ? s : s.substring(0, eq);
            if (!id.matches("[A-Za-z0-9_.-]{1,128}")) throw new InvalidInputException("--ssh '" + s + "': expected default or ID=PATH");
            if (eq < 0) {
                String sock = env.get("SSH_AUTH_SOCK");
                if (sock == null || sock.isBlank()) throw new InvalidInputException("--ssh " + s + ": SSH_AUTH_SOCK is not set (start ssh-agent, or give " + id + "=PATH)");
            } else {
                for (String p : s.substring(eq + 1).split(",")) {
                    if (!Files.exists(Path.of(p))) throw new InvalidInputException("--ssh " + id + ": no such socket or key " + p);
                }
            }
        }
        return new BuildExtras(noCache, net, out, allSsh);
    }
}
