package io.polyarch.pipeline.spec;

import io.polyarch.pipeline.spec.Node.ListNode;
import io.polyarch.pipeline.spec.Node.MapNode;
import io.polyarch.pipeline.spec.Node.Scalar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.polyarch.pipeline.spec.Fields.bool;
import static io.polyarch.pipeline.spec.Fields.integer;
import static io.polyarch.pipeline.spec.Fields.keys;
import static io.polyarch.pipeline.spec.Fields.kind;
import static io.polyarch.pipeline.spec.Fields.list;
import static io.polyarch.pipeline.spec.Fields.map;
import static io.polyarch.pipeline.spec.Fields.platform;
import static io.polyarch.pipeline.spec.Fields.scalar;
import static io.polyarch.pipeline.spec.Fields.scalarOf;
import static io.polyarch.pipeline.spec.Fields.str;

/** The config's sections with a shape of their own: {@code builder}, {@code test} and {@code soci}. */
final class Sections {
    static final Set<String> TEST = Set.of("commands", "command", "timeout", "ignoreFailure");
    static final Set<String> SOCI = Set.of("enabled", "format", "spanSize", "minLayerSize");
    static final Set<String> BUILDER = Set.of("type", "endpoints", "docker");
    static final Set<String> DOCKER = Set.of("mode", "binary");
    private static final java.util.regex.Pattern SIZE = java.util.regex.Pattern.compile("(\\d+)\\s*(b|k|kib|m|mib|g|gib)?", java.util.regex.Pattern.CASE_INSENSITIVE);

    private Sections() {
    }

    static PipelineSpec.BuilderSpec builder(MapNode root) throws ConfigException {
        PipelineSpec.Kind kind = PipelineSpec.Kind.AUTO;
        PipelineSpec.DockerMode mode = PipelineSpec.DockerMode.AUTO;
        String binary = null;
        Map<String, String> endpoints = new LinkedHashMap<>();
        Node b = root.entries().get("builder");
        if (b instanceof Scalar s && !s.isNull()) {
            kind = kind(s.text(), s.where().toString());
        } else if (b instanceof MapNode m) {
            keys(m, BUILDER);
            Scalar t = scalar(m, "type", false);
            if (t != null) kind = kind(t.text(), t.where().toString());
            MapNode ep = map(m, "endpoints");
            if (ep != null) {
                for (var e : ep.entries().entrySet()) {
                    String key = e.getKey();
                    key = key.contains("/") ? platform(key, e.getValue().where().toString()).key()
                            : platform("linux/" + key, e.getValue().where().toString()).normalized().architecture();
                    Scalar v = scalarOf(e.getValue(), "a Docker endpoint like ssh://user@host or tcp://host:2376, or buildx:BUILDER");
                    if (v.text() == null || !v.text().matches("(unix|tcp|ssh|npipe)://.+|buildx:[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                        throw new ConfigException(v.where() + ": '" + v.text() + "' is not a Docker endpoint; expected unix:///path, tcp://host:port, "
                                + "ssh://user@host, or buildx:NAME (a builder `docker buildx ls` lists)");
                    }
                    endpoints.put(key, v.text());
                }
            }
            MapNode dk = map(m, "docker");
            if (dk != null) {
                keys(dk, DOCKER);
                Scalar md = scalar(dk, "mode", false);
                if (md != null) {
                    try {
                        mode = PipelineSpec.DockerMode.valueOf(md.text().toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(md.where() + ": '" + md.text() + "': expected auto, buildx, buildkit or legacy");
                    }
                }
                binary = str(dk, "binary");
            }
        } else if (b != null && !(b instanceof Scalar)) {
            throw new ConfigException(b.where() + ": expected auto, docker, buildah or a mapping {type, endpoints, docker}");
        }
        return new PipelineSpec.BuilderSpec(kind, mode, binary, endpoints);
    }

    /** {@code soci: true} or {@code soci: {enabled, format: v2|v1, spanSize: 4MiB, minLayerSize: 10MiB}}. */
    static PipelineSpec.SociSpec soci(Node n) throws ConfigException {
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) return null;
        boolean enabled;
        String format = "v2";
        long span = 4L << 20;
        long min = 10L << 20;
        if (n instanceof MapNode m) {
            keys(m, SOCI);
            enabled = bool(m, "enabled", true);
            Scalar f = scalar(m, "format", false);
            if (f != null) {
                format = f.text() == null ? "" : f.text().toLowerCase(Locale.ROOT);
                if (!format.equals("v2") && !format.equals("v1")) throw new ConfigException(f.where() + " '" + f.text() + "': expected v2 (the default) or v1");
            }
            span = size(m, "spanSize", span);
            min = size(m, "minLayerSize", min);
            if (span < 64 << 10) throw new ConfigException(m.entries().get("spanSize").where() + ": must be at least 64KiB (soci's default is 4MiB)");
        } else {
            Scalar s = scalarOf(n, "true, false or a mapping {enabled, format, spanSize, minLayerSize}");
            if (!"true".equalsIgnoreCase(s.text()) && !"false".equalsIgnoreCase(s.text())) {
                throw new ConfigException(s.where() + ": expected true, false or a mapping {enabled, format, spanSize, minLayerSize}");
            }
            enabled = Boolean.parseBoolean(s.text().toLowerCase(Locale.ROOT));
        }
        return enabled ? new PipelineSpec.SociSpec(format, span, min) : null;
    }

    /** {@code build: {network: none, secrets: {ID: {env: VAR} | {src: FILE}}, ssh: [default, ID=PATH]}}. */
    static PipelineSpec.BuildOptions buildOptions(MapNode root) throws ConfigException {
        MapNode m = map(root, "build");
        if (m == null) return PipelineSpec.BuildOptions.NONE;
        keys(m, Set.of("network", "secrets", "ssh"));
        Scalar net = scalar(m, "network", false);
        String network = net == null ? null : net.text();
        if (network != null && !List.of("default", "none", "host").contains(network)) {
            throw new ConfigException(net.where() + ": build.network '" + network + "': expected default, none or host");
        }
        Map<String, PipelineSpec.SecretRef> secrets = new LinkedHashMap<>();
        MapNode sm = map(m, "secrets");
        if (sm != null) {
            for (var e : sm.entries().entrySet()) {
                if (!e.getKey().matches("[A-Za-z0-9_.-]{1,128}")) throw new ConfigException(e.getValue().where() + ": build.secrets: '" + e.getKey() + "' is not a secret id");
                if (!(e.getValue() instanceof MapNode one)) {
                    throw new ConfigException(e.getValue().where() + ": build.secrets." + e.getKey() + ": expected {env: VAR} or {src: FILE} (never the secret itself)");
                }
                keys(one, Set.of("env", "src"));
                Scalar env = scalar(one, "env", false);
                Scalar src = scalar(one, "src", false);
                if ((env == null) == (src == null)) throw new ConfigException(one.where() + ": build.secrets." + e.getKey() + ": give exactly one of env or src");
                secrets.put(e.getKey(), new PipelineSpec.SecretRef(src == null ? null : src.text(), env == null ? null : env.text()));
            }
        }
        List<String> ssh = new ArrayList<>();
        ListNode sl = list(m, "ssh");
        if (sl != null) for (Node n : sl.items()) ssh.add(scalarOf(n, "default or ID=PATH").text());
        return new PipelineSpec.BuildOptions(network, secrets, ssh);
    }

    /** {@code sign: {key: FILE}} or {@code sign: {kms: awskms:///ARN-or-alias}}. */
    static PipelineSpec.Sign sign(MapNode root) throws ConfigException {
        Node n = root.entries().get("sign");
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) return null;
        if (!(n instanceof MapNode m)) throw new ConfigException(n.where() + ": sign: expected a mapping {key: FILE} or {kms: awskms:///ARN-or-alias}");
        keys(m, java.util.Set.of("key", "kms"));
        Scalar key = scalar(m, "key", false);
        Scalar kms = scalar(m, "kms", false);
        if ((key == null) == (kms == null)) throw new ConfigException(m.where() + ": sign: give exactly one of key (a cosign key file) or kms (awskms:///ARN-or-alias)");
        if (key != null && (key.text() == null || key.text().isBlank())) throw new ConfigException(key.where() + ": sign.key: empty; give a cosign key file");
        if (kms != null && (kms.text() == null || !kms.text().matches("awskms://[^/]*/(arn:aws[\\w-]*:kms:[\\w-]+:\\d{12}:(key|alias)/[\\w/+=,.@-]+|alias/[\\w/+=,.@-]+|[0-9a-f-]{36})"))) {
            throw new ConfigException(kms.where() + ": sign.kms '" + kms.text() + "': expected awskms:///arn:aws:kms:REGION:ACCOUNT:key/ID, awskms:///alias/NAME or awskms:///KEY-ID");
        }
        return new PipelineSpec.Sign(key == null ? null : key.text(), kms == null ? null : kms.text(), m.where().toString());
    }

    static long size(MapNode m, String key, long dflt) throws ConfigException {
        Scalar s = scalar(m, key, false);
        if (s == null) return dflt;
        try {
            return parseSize(s.text());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(s.where() + ": " + e.getMessage());
        }
    }

    /** Bytes, or a number with KiB/MiB/GiB (k/m/g mean the same); an {@link IllegalArgumentException} says what is expected. */
    static long parseSize(String text) {
        java.util.regex.Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) throw new IllegalArgumentException("'" + text + "': expected bytes or a size like 4MiB, 512KiB, 1GiB");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit) {
            case "k", "kib" -> 10;
            case "m", "mib" -> 20;
            case "g", "gib" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("'" + text + "' is too large");
        return n << shift;
    }

    /** {@code test: "cmd"}, {@code test: [cmd, ...]} or {@code test: {commands: [...], timeout: SECONDS}}. */
    static PipelineSpec.TestSpec test(Node n) throws ConfigException {
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) return null;
        List<String> commands = new ArrayList<>();
        int timeout = 600;
        boolean ignore = false;
        Node cmds = n;
        if (n instanceof MapNode m) {
            keys(m, TEST);
            if (m.entries().containsKey("commands") && m.entries().containsKey("command")) {
                throw new ConfigException(m.where() + ": give 'commands' or 'command', not both");
            }
            cmds = m.entries().containsKey("commands") ? m.entries().get("commands") : m.entries().get("command");
            if (cmds == null) throw new ConfigException(m.where() + ": missing 'commands' (a list of shell commands run in the image)");
            if (m.entries().containsKey("timeout")) timeout = integer(m, "timeout", 1, 86_400);
            ignore = bool(m, "ignoreFailure", false);
        }
        if (cmds instanceof ListNode l) {
            for (Node c : l.items()) commands.add(scalarOf(c, "a shell command").text());
        } else {
            commands.add(scalarOf(cmds, "a shell command").text());
        }
        for (String c : commands) {
            if (c == null || c.isBlank()) throw new ConfigException(n.where() + ": an empty test command");
        }
        if (commands.isEmpty()) throw new ConfigException(n.where() + ": no test commands");
        return new PipelineSpec.TestSpec(commands, java.time.Duration.ofSeconds(timeout), ignore);
    }
}
