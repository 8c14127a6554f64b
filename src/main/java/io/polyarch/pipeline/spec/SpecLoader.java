package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.Node.ListNode;
import io.polyarch.pipeline.spec.Node.MapNode;
import io.polyarch.pipeline.spec.Node.Scalar;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.Suggest;
import io.polyarch.tags.TagRule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code polyarch.yaml} (a superset of the MakeOps {@code values.yaml} schema) into a {@link PipelineSpec},
 * then applies flag overrides. Every error names the file, line, column and field path, and for an unknown
 * key the closest known one.
 */
public final class SpecLoader {
    static final Set<String> TOP = Set.of("pipelineName", "source", "workDir", "destination", "platforms", "dockerfile",
            "buildArgs", "target", "archBuildArg", "archTags", "archNames", "tagRules", "builder", "parallelism", "test", "fastFail", "matrix", "soci");
    static final Set<String> VARIANT_KEYS = Set.of("name", "dockerfile", "target", "tagRules", "ignoreFailure");
    static final Set<String> TEST = Set.of("commands", "command", "timeout", "ignoreFailure");
    static final Set<String> SOCI = Set.of("enabled", "format", "spanSize", "minLayerSize");
    static final Set<String> SOURCE = Set.of("github");
    static final Set<String> GITHUB = Set.of("owner", "repo", "branch", "connectionArn", "triggerOnPush");
    static final Set<String> DESTINATION = Set.of("ecr", "registry");
    static final Set<String> ECR = Set.of("repoName", "exists", "tagRules", "region", "accountId");
    static final Set<String> REGISTRY = Set.of("repository", "tagRules");
    static final Set<String> BUILDER = Set.of("type", "endpoints", "docker");
    static final Set<String> DOCKER = Set.of("mode", "binary");
    static final Set<String> TAG_RULE_MAP = Set.of("type", "rule", "template", "literal");
    static final Pattern ARG_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern ECR_REPO = Pattern.compile("(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*");
    public static final List<String> DEFAULT_TAG_RULES = List.of("latest", "commit-short");

    /** Flag values that override the file; null or empty means "not given". */
    public record Overrides(String to, List<String> platforms, Map<String, String> buildArgs, String builder,
                            String workDir, String dockerfile, String target, Boolean archTags, List<String> tagRules) {
        public static Overrides none() {
            return new Overrides(null, List.of(), Map.of(), null, null, null, null, null, List.of());
        }
    }

    private SpecLoader() {
    }

    /** Loads a config file; {@code file} null means there is none (flags and defaults only). */
    public static PipelineSpec load(Path file, Overrides o) throws ConfigException {
        MapNode root;
        String origin;
        if (file == null) {
            origin = "(flags)";
            root = new MapNode(new Node.Where(origin, 0, 0, ""), Map.of());
        } else {
            String text;
            try {
                text = Files.readString(file);
            } catch (NoSuchFileException e) {
                throw new ConfigException(file + ": no such config file; create it, or pass -c FILE");
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read: " + e.getMessage());
            }
            origin = file.toString();
            Node n = Node.parse(origin, text);
            if (!(n instanceof MapNode m)) throw new ConfigException(n.where() + ": the config must be a mapping of keys (pipelineName, destination, ...)");
            root = m;
        }
        return bind(origin, root, o);
    }

    public static PipelineSpec parse(String origin, String yaml, Overrides o) throws ConfigException {
        Node n = Node.parse(origin, yaml);
        if (!(n instanceof MapNode m)) throw new ConfigException(n.where() + ": the config must be a mapping of keys (pipelineName, destination, ...)");
        return bind(origin, m, o);
    }

    private static PipelineSpec bind(String origin, MapNode root, Overrides o) throws ConfigException {
        keys(root, TOP);
        String pipelineName = str(root, "pipelineName");
        PipelineSpec.Github github = null;
        MapNode source = map(root, "source");
        if (source != null) {
            keys(source, SOURCE);
            MapNode gh = map(source, "github");
            if (gh != null) {
                keys(gh, GITHUB);
                github = new PipelineSpec.Github(str(gh, "owner"), str(gh, "repo"), str(gh, "branch"), str(gh, "connectionArn"),
                        bool(gh, "triggerOnPush", true));
            }
        }

        String workDir = o.workDir() != null ? o.workDir() : str(root, "workDir");
        workDir = relativePath(workDir == null ? "." : workDir, o.workDir() != null ? "--workdir" : where(root, "workDir"));

        List<TagRule> rules = null;
        Node rulesNode = null;
        PipelineSpec.Destination dest = null;
        MapNode d = map(root, "destination");
        if (d != null) {
            keys(d, DESTINATION);
            MapNode ecr = map(d, "ecr");
            MapNode reg = map(d, "registry");
            if (ecr != null && reg != null && o.to() == null) {
                throw new ConfigException(d.where() + ": both 'ecr' and 'registry' are set; a pipeline publishes to one destination");
            }
            if (reg != null) {
                keys(reg, REGISTRY);
                Scalar repo = scalar(reg, "repository", true);
                dest = new PipelineSpec.Target(repository(repo.text(), repo.where().toString()), repo.where().toString());
                rulesNode = reg.entries().get("tagRules");
            }
            if (ecr != null) {
                keys(ecr, ECR);
                Scalar name = scalar(ecr, "repoName", true);
                if (!ECR_REPO.matcher(name.text()).matches() || name.text().length() < 2 || name.text().length() > 256) {
                    throw new ConfigException(name.where() + ": '" + name.text() + "' is not a valid ECR repository name (lowercase letters, digits, '.', '_', '-' and '/', 2 to 256 characters)");
                }
                boolean exists = bool(ecr, "exists", false);
                dest = new PipelineSpec.Ecr(name.text(), exists, str(ecr, "region"), str(ecr, "accountId"), name.where().toString());
                if (ecr.entries().containsKey("tagRules")) rulesNode = ecr.entries().get("tagRules");
            }
        }
        if (root.entries().containsKey("tagRules")) {
            if (rulesNode != null) {
                throw new ConfigException(root.entries().get("tagRules").where() + ": tag rules are set here and under destination ("
                        + rulesNode.where().path() + "); keep one");
            }
            rulesNode = root.entries().get("tagRules");
        }
        if (rulesNode != null) rules = tagRules(rulesNode);
        if (!o.tagRules().isEmpty()) {
            rules = new ArrayList<>();
            for (String r : o.tagRules()) {
                try {
                    rules.add(TagRule.parse(r));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("--tag-rule: " + e.getMessage());
                }
            }
        }
        if (rules == null) rules = DEFAULT_TAG_RULES.stream().map(TagRule::parse).toList();
        if (rules.isEmpty()) throw new ConfigException((rulesNode != null ? rulesNode.where() : origin) + ": no tag rules; the index would have no tag");

        if (o.to() != null) dest = new PipelineSpec.Target(repository(o.to(), "--to"), "--to");

        List<Platform> platforms = new ArrayList<>();
        if (!o.platforms().isEmpty()) {
            for (String p : o.platforms()) {
                for (String one : p.split(",")) platforms.add(platform(one.trim(), "--platform"));
            }
        } else if (root.entries().containsKey("platforms")) {
            ListNode l = list(root, "platforms");
            for (Node n : l.items()) {
                Scalar s = scalarOf(n, "a platform like linux/arm64");
                platforms.add(platform(s.text(), s.where().toString()));
            }
            if (platforms.isEmpty()) throw new ConfigException(l.where() + ": empty; list at least one platform, e.g. [linux/amd64, linux/arm64]");
        } else {
            platforms.addAll(PipelineSpec.DEFAULT_PLATFORMS);
        }
        Map<String, Platform> seen = new LinkedHashMap<>();
        for (Platform p : platforms) {
            if (seen.putIfAbsent(p.key(), p) != null) {
                throw new ConfigException((o.platforms().isEmpty() ? where(root, "platforms") : "--platform") + ": platform " + p + " is listed twice");
            }
        }

        String dockerfile = o.dockerfile() != null ? o.dockerfile() : str(root, "dockerfile");
        dockerfile = dockerfile == null ? "Dockerfile" : dockerfile;
        if (dockerfile.isBlank()) throw new ConfigException(where(root, "dockerfile") + ": empty; name the Dockerfile relative to workDir");

        Map<String, String> buildArgs = new LinkedHashMap<>();
        MapNode ba = map(root, "buildArgs");
        if (ba != null) {
            for (var e : ba.entries().entrySet()) {
                if (!ARG_NAME.matcher(e.getKey()).matches()) throw new ConfigException(e.getValue().where() + ": '" + e.getKey() + "' is not a valid build argument name");
                Scalar s = scalarOf(e.getValue(), "a string value");
                buildArgs.put(e.getKey(), s.isNull() ? "" : s.text());
            }
        }
        for (var e : o.buildArgs().entrySet()) {
            if (!ARG_NAME.matcher(e.getKey()).matches()) throw new ConfigException("--build-arg: '" + e.getKey() + "' is not a valid build argument name");
            buildArgs.put(e.getKey(), e.getValue());
        }
        String target = o.target() != null ? o.target() : str(root, "target");
        String archArg = root.entries().containsKey("archBuildArg") ? nullToEmpty(str(root, "archBuildArg")) : "ARCH";
        if (!archArg.isEmpty() && !ARG_NAME.matcher(archArg).matches()) {
            throw new ConfigException(where(root, "archBuildArg") + ": '" + archArg + "' is not a valid build argument name (empty disables it)");
        }
        boolean archTags = o.archTags() != null ? o.archTags() : bool(root, "archTags", true);
        Map<String, String> archNames = new LinkedHashMap<>();
        MapNode an = map(root, "archNames");
        if (an != null) {
            for (var e : an.entries().entrySet()) {
                Scalar s = scalarOf(e.getValue(), "a name like arm64v8");
                String key = e.getKey();
                if (key.contains("/")) key = platform(key, e.getValue().where().toString()).key();
                if (s.text() == null || !s.text().matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
                    throw new ConfigException(s.where() + ": '" + s.text() + "' cannot be part of a tag (letters, digits, '_', '.', '-')");
                }
                archNames.put(key, s.text());
            }
        }

        PipelineSpec.BuilderSpec builder = builder(root, o.builder());
        int parallelism = root.entries().containsKey("parallelism") ? integer(root, "parallelism", 1, 64) : 0;
        PipelineSpec.TestSpec test = test(root.entries().get("test"));
        boolean fastFail = bool(root, "fastFail", false);
        PipelineSpec.SociSpec soci = soci(root.entries().get("soci"));

        List<PipelineSpec.Variant> variants = matrix(root.entries().get("matrix"), dockerfile, target, rules);

        return new PipelineSpec(origin, pipelineName, github, workDir, dest, platforms, dockerfile, buildArgs, target, archArg,
                archTags, archNames, rules, builder, parallelism, test, fastFail, variants, soci);
    }

    private static PipelineSpec.BuilderSpec builder(MapNode root, String flag) throws ConfigException {
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
                    Scalar v = scalarOf(e.getValue(), "a Docker endpoint like ssh://user@host or tcp://host:2376");
                    if (v.text() == null || !v.text().matches("(unix|tcp|ssh|npipe)://.+")) {
                        throw new ConfigException(v.where() + ": '" + v.text() + "' is not a Docker endpoint; expected unix:///path, tcp://host:port or ssh://user@host");
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
        if (flag != null) kind = kind(flag, "--builder");
        return new PipelineSpec.BuilderSpec(kind, mode, binary, endpoints);
    }

    /**
     * {@code matrix: {AXIS: [values], ..., exclude: [{..}], include: [{..}]}} (every combination of the axes, as CI
     * matrices do) or {@code matrix: [{VAR: value, ...}, ...]} (explicit variants). A variant map may also set
     * {@code name}, {@code dockerfile}, {@code target} and {@code tagRules}.
     */
    private static List<PipelineSpec.Variant> matrix(Node n, String dockerfile, String target, List<TagRule> rules) throws ConfigException {
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) return List.of();
        List<MapNode> cells = new ArrayList<>();
        List<Map<String, String>> combos = new ArrayList<>();
        if (n instanceof ListNode l) {
            for (Node item : l.items()) {
                if (!(item instanceof MapNode m)) throw new ConfigException(item.where() + ": a matrix variant is a mapping of VARIABLE: value");
                cells.add(m);
                combos.add(null);
            }
        } else if (n instanceof MapNode m) {
            List<Map<String, String>> product = new ArrayList<>();
            product.add(new java.util.LinkedHashMap<>());
            for (var e : m.entries().entrySet()) {
                if (e.getKey().equals("include") || e.getKey().equals("exclude")) continue;
                if (!ARG_NAME.matcher(e.getKey()).matches()) throw new ConfigException(m.keyWhere(e.getKey()) + ": '" + e.getKey() + "' is not a valid variable name");
                if (!(e.getValue() instanceof ListNode values) || values.items().isEmpty()) {
                    throw new ConfigException(e.getValue().where() + ": a matrix axis is a non-empty list of values, e.g. " + e.getKey() + ": [\"3.11\", \"3.12\"]");
                }
                List<Map<String, String>> next = new ArrayList<>();
                for (Map<String, String> base : product) {
                    for (Node v : values.items()) {
                        Map<String, String> c = new java.util.LinkedHashMap<>(base);
                        c.put(e.getKey(), scalarOf(v, "a value").text());
                        next.add(c);
                    }
                }
                product = next;
            }
            if (product.size() == 1 && product.get(0).isEmpty()) product.clear();
            Node ex = m.entries().get("exclude");
            if (ex != null) {
                if (!(ex instanceof ListNode exl)) throw new ConfigException(ex.where() + ": exclude is a list of {VARIABLE: value} maps");
                for (Node item : exl.items()) {
                    Map<String, String> pattern = vars(item);
                    boolean matched = product.removeIf(c -> c.entrySet().containsAll(pattern.entrySet()));
                    if (!matched) throw new ConfigException(item.where() + ": this exclude matches no combination of the axes");
                }
            }
            for (Map<String, String> c : product) {
                combos.add(c);
                cells.add(null);
            }
            Node in = m.entries().get("include");
            if (in != null) {
                if (!(in instanceof ListNode inl)) throw new ConfigException(in.where() + ": include is a list of variant maps");
                for (Node item : inl.items()) {
                    if (!(item instanceof MapNode im)) throw new ConfigException(item.where() + ": a matrix variant is a mapping of VARIABLE: value");
                    cells.add(im);
                    combos.add(null);
                }
            }
        } else {
            throw new ConfigException(n.where() + ": matrix is a mapping of axes ({VERSION: [\"3.11\", \"3.12\"]}) or a list of variants");
        }
        List<PipelineSpec.Variant> out = new ArrayList<>();
        Map<String, String> names = new java.util.HashMap<>();
        for (int i = 0; i < cells.size(); i++) {
            Map<String, String> vars;
            String df = dockerfile, tg = target, name = null;
            boolean ignoreFailure = false;
            List<TagRule> tr = rules;
            String where;
            if (cells.get(i) == null) {
                vars = combos.get(i);
                where = n.where().toString();
            } else {
                MapNode c = cells.get(i);
                where = c.where().toString();
                vars = new java.util.LinkedHashMap<>();
                for (var e : c.entries().entrySet()) {
                    if (VARIANT_KEYS.contains(e.getKey())) continue;
                    String typo = e.getKey().equals(e.getKey().toLowerCase(java.util.Locale.ROOT)) ? Suggest.closest(e.getKey(), VARIANT_KEYS, 2) : null;
                    if (typo != null) {
                        throw new ConfigException(c.keyWhere(e.getKey()) + ": unknown key '" + e.getKey() + "'; did you mean '" + typo
                                + "'? (a matrix variable that close to it must be written in upper case)");
                    }
                    if (!ARG_NAME.matcher(e.getKey()).matches()) {
                        String close = Suggest.closest(e.getKey(), VARIANT_KEYS);
                        throw new ConfigException(c.keyWhere(e.getKey()) + ": '" + e.getKey() + "' is not a variable name"
                                + (close != null ? "; did you mean '" + close + "'?" : ""));
                    }
                    vars.put(e.getKey(), scalarOf(e.getValue(), "a value").text());
                }
                if (c.entries().containsKey("dockerfile")) df = str(c, "dockerfile");
                if (c.entries().containsKey("target")) tg = str(c, "target");
                if (c.entries().containsKey("name")) name = str(c, "name");
                if (c.entries().containsKey("tagRules")) tr = tagRules(c.entries().get("tagRules"));
                ignoreFailure = bool(c, "ignoreFailure", false);
            }
            if (vars.isEmpty() && name == null) throw new ConfigException(where + ": a matrix variant needs at least one variable or a name");
            if (name == null) {
                StringBuilder sb = new StringBuilder();
                vars.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
                name = sb.toString();
            }
            String before = names.put(name, where);
            if (before != null) throw new ConfigException(where + ": variant " + name + " appears twice (also " + before + ")");
            out.add(new PipelineSpec.Variant(name, vars, df, tg, tr, ignoreFailure));
        }
        if (out.isEmpty()) throw new ConfigException(n.where() + ": the matrix has no variants (everything excluded?)");
        return out;
    }

    private static Map<String, String> vars(Node item) throws ConfigException {
        if (!(item instanceof MapNode m)) throw new ConfigException(item.where() + ": expected {VARIABLE: value}");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (var e : m.entries().entrySet()) out.put(e.getKey(), scalarOf(e.getValue(), "a value").text());
        return out;
    }

    /** {@code soci: true} or {@code soci: {enabled, format: v2|v1, spanSize: 4MiB, minLayerSize: 10MiB}}. */
    private static PipelineSpec.SociSpec soci(Node n) throws ConfigException {
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

    private static long size(MapNode m, String key, long dflt) throws ConfigException {
        Scalar s = scalar(m, key, false);
        if (s == null) return dflt;
        try {
            return parseSize(s.text());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(s.where() + ": " + e.getMessage());
        }
    }

    private static final java.util.regex.Pattern SIZE = java.util.regex.Pattern.compile("(\\d+)\\s*(b|k|kib|m|mib|g|gib)?", java.util.regex.Pattern.CASE_INSENSITIVE);

    /** Bytes, or a number with KiB/MiB/GiB (k/m/g mean the same); an {@link IllegalArgumentException} says what is expected. */
    public static long parseSize(String text) {
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
    private static PipelineSpec.TestSpec test(Node n) throws ConfigException {
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

    private static PipelineSpec.Kind kind(String text, String where) throws ConfigException {
        try {
            return PipelineSpec.Kind.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException(where + ": builder '" + text + "': expected auto, docker or buildah");
        }
    }

    private static List<TagRule> tagRules(Node n) throws ConfigException {
        if (!(n instanceof ListNode l)) throw new ConfigException(n.where() + ": expected a list of tag rules, e.g. [latest, commit, commit-short]");
        List<TagRule> out = new ArrayList<>();
        for (Node item : l.items()) {
            try {
                if (item instanceof Scalar s && !s.isNull()) {
                    out.add(TagRule.parse(s.text()));
                } else if (item instanceof MapNode m) {
                    keys(m, TAG_RULE_MAP);
                    if (m.entries().size() != 1) throw new ConfigException(m.where() + ": a tag rule map has one key: type, template or literal");
                    var e = m.entries().entrySet().iterator().next();
                    Scalar v = scalarOf(e.getValue(), "a string");
                    out.add(switch (e.getKey()) {
                        case "literal" -> TagRule.literal(v.text());
                        default -> TagRule.parse(v.text());
                    });
                } else {
                    throw new ConfigException(item.where() + ": expected a tag rule (latest, commit, commit-short, branch, semver or a template)");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(item.where() + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static StoreRef repository(String text, String where) throws ConfigException {
        StoreRef ref;
        try {
            ref = StoreRef.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
        if (ref.digest() != null || (ref instanceof StoreRef.Registry && text.matches(".*:[^/]*$") && ref.tag() != null)) {
            throw new ConfigException(where + ": '" + text + "' names a tag or digest; give the repository only (HOST[:PORT]/PATH) and set the tags with tagRules");
        }
        if (ref instanceof StoreRef.Layout && ref.tag() != null) {
            throw new ConfigException(where + ": '" + text + "' names a tag; give the directory only (oci:DIR) and set the tags with tagRules");
        }
        return ref;
    }

    private static Platform platform(String text, String where) throws ConfigException {
        try {
            return Platform.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    private static String relativePath(String p, String where) throws ConfigException {
        Path path = Path.of(p).normalize();
        if (path.isAbsolute() || path.startsWith("..")) {
            throw new ConfigException(where + ": '" + p + "' must be a path inside the repository (relative, no '..')");
        }
        return path.toString().isEmpty() ? "." : path.toString();
    }

    // ---- small typed accessors that name the field on error

    private static void keys(MapNode m, Set<String> allowed) throws ConfigException {
        for (var e : m.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String close = Suggest.closest(e.getKey(), allowed);
                throw new ConfigException(m.keyWhere(e.getKey()) + ": unknown key '" + e.getKey() + "'"
                        + (close != null ? "; did you mean '" + close + "'?" : "; expected one of " + String.join(", ", new LinkedHashSet<>(sorted(allowed)))));
            }
        }
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(String.CASE_INSENSITIVE_ORDER);
        return l;
    }

    private static String where(MapNode m, String key) {
        Node n = m.entries().get(key);
        return n != null ? n.where().toString() : m.where().file() + ": " + key;
    }

    private static MapNode map(MapNode m, String key) throws ConfigException {
        Node n = m.entries().get(key);
        if (n == null || (n instanceof Scalar s && s.isNull())) return null;
        if (n instanceof MapNode mm) return mm;
        throw new ConfigException(n.where() + ": expected a mapping (key: value lines)");
    }

    private static ListNode list(MapNode m, String key) throws ConfigException {
        Node n = m.entries().get(key);
        if (n instanceof ListNode l) return l;
        throw new ConfigException(n.where() + ": expected a list");
    }

    private static Scalar scalarOf(Node n, String expected) throws ConfigException {
        if (n instanceof Scalar s) return s;
        throw new ConfigException(n.where() + ": expected " + expected + ", found a " + (n instanceof MapNode ? "mapping" : "list"));
    }

    private static Scalar scalar(MapNode m, String key, boolean required) throws ConfigException {
        Node n = m.entries().get(key);
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) {
            if (required) throw new ConfigException(m.where() + ": missing required key '" + key + "'");
            return null;
        }
        Scalar s = scalarOf(n, "a value");
        if (required && s.text().isBlank()) throw new ConfigException(s.where() + ": must not be empty");
        return s;
    }

    private static String str(MapNode m, String key) throws ConfigException {
        Scalar s = scalar(m, key, false);
        return s == null ? null : s.text();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static boolean bool(MapNode m, String key, boolean dflt) throws ConfigException {
        Scalar s = scalar(m, key, false);
        if (s == null) return dflt;
        return switch (s.text().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(s.where() + ": expected true or false, got '" + s.text() + "'");
        };
    }

    private static int integer(MapNode m, String key, int min, int max) throws ConfigException {
        Scalar s = scalar(m, key, true);
        try {
            int v = Integer.parseInt(s.text());
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(s.where() + ": expected a whole number from " + min + " to " + max + ", got '" + s.text() + "'");
        }
    }
}
