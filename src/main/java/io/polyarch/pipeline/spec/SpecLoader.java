package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.Node.ListNode;
import io.polyarch.pipeline.spec.Node.MapNode;
import io.polyarch.pipeline.spec.Node.Scalar;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.TagRule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static io.polyarch.pipeline.spec.Fields.bool;
import static io.polyarch.pipeline.spec.Fields.integer;
import static io.polyarch.pipeline.spec.Fields.keys;
import static io.polyarch.pipeline.spec.Fields.list;
import static io.polyarch.pipeline.spec.Fields.map;
import static io.polyarch.pipeline.spec.Fields.nullToEmpty;
import static io.polyarch.pipeline.spec.Fields.platform;
import static io.polyarch.pipeline.spec.Fields.relativePath;
import static io.polyarch.pipeline.spec.Fields.repository;
import static io.polyarch.pipeline.spec.Fields.scalar;
import static io.polyarch.pipeline.spec.Fields.scalarOf;
import static io.polyarch.pipeline.spec.Fields.str;
import static io.polyarch.pipeline.spec.Fields.tagRules;
import static io.polyarch.pipeline.spec.Fields.where;

/**
 * Reads {@code polyarch.yaml} (a superset of the MakeOps {@code values.yaml} schema) into a {@link PipelineSpec},
 * then applies flag overrides. Every error names the file, line, column and field path, and for an unknown
 * key the closest known one.
 */
public final class SpecLoader {
    static final Set<String> TOP = Set.of("pipelineName", "source", "workDir", "destination", "platforms", "dockerfile",
            "buildArgs", "target", "archBuildArg", "archTags", "archNames", "tagRules", "builder", "parallelism", "test", "fastFail", "matrix", "soci",
            "labels", "annotations", "provenance", "sign", "build", "destinations");
    static final Set<String> SOURCE = Set.of("github");
    static final Set<String> GITHUB = Set.of("owner", "repo", "branch", "connectionArn", "triggerOnPush");
    static final Set<String> DESTINATION = Set.of("ecr", "registry");
    static final Set<String> ECR = Set.of("repoName", "exists", "tagRules", "region", "accountId", "lifecycle");
    static final Set<String> LIFECYCLE = Set.of("untaggedDays", "unpublishedBuilds");
    static final Set<String> REGISTRY = Set.of("repository", "tagRules", "credentialsSecret");
    static final Pattern SECRET_ARN = Pattern.compile("arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+");
    static final Set<String> TAG_RULE_MAP = Set.of("type", "rule", "template", "literal");
    static final Pattern ARG_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern ECR_REPO = Pattern.compile("(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*");
    public static final List<String> DEFAULT_TAG_RULES = List.of("latest", "commit-short");
    /** No real config comes near this; it bounds the parser's time and memory on a hostile file. */
    public static final long MAX_CONFIG_BYTES = 1 << 20;

    /** Flag values that override the file; null or empty means "not given". Applied to the spec read from the file. */
    public record Overrides(String to, List<String> platforms, Map<String, String> buildArgs, String builder,
                            String workDir, String dockerfile, String target, Boolean archTags, List<String> tagRules,
                            Map<String, String> labels, Map<String, String> annotations, String signKey, List<String> alsoTo) {
        public Overrides {
            alsoTo = alsoTo == null ? List.of() : List.copyOf(alsoTo);
            platforms = List.copyOf(platforms);
            buildArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(buildArgs));
            tagRules = List.copyOf(tagRules);
            labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
            annotations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
        }

        public Overrides(String to, List<String> platforms, Map<String, String> buildArgs, String builder,
                         String workDir, String dockerfile, String target, Boolean archTags, List<String> tagRules) {
            this(to, platforms, buildArgs, builder, workDir, dockerfile, target, archTags, tagRules, Map.of(), Map.of(), null, List.of());
        }

        public static Overrides none() {
            return new Overrides(null, List.of(), Map.of(), null, null, null, null, null, List.of());
        }
    }

    private SpecLoader() {
    }

    /** Bytes, or a number with KiB/MiB/GiB (k/m/g mean the same); an {@link IllegalArgumentException} says what is expected. */
    public static long parseSize(String text) {
        return Sections.parseSize(text);
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
                if (Files.size(file) > MAX_CONFIG_BYTES) {
                    throw new ConfigException(file + ": " + Files.size(file) + " bytes; a polyarch config is at most " + MAX_CONFIG_BYTES
                            + " bytes (1 MiB): is this the right file?");
                }
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
        return SpecOverrides.apply(read(origin, root, o), o);
    }

    public static PipelineSpec parse(String origin, String yaml, Overrides o) throws ConfigException {
        if (yaml.length() > MAX_CONFIG_BYTES) throw new ConfigException(origin + ": a polyarch config is at most " + MAX_CONFIG_BYTES + " bytes (1 MiB)");
        Node n = Node.parse(origin, yaml);
        if (!(n instanceof MapNode m)) throw new ConfigException(n.where() + ": the config must be a mapping of keys (pipelineName, destination, ...)");
        return SpecOverrides.apply(read(origin, m, o), o);
    }

    /** {@code ecr.lifecycle}: {@code true} for the defaults, a mapping to set them, absent or {@code false} for none. */
    private static PipelineSpec.Lifecycle lifecycle(MapNode ecr) throws ConfigException {
        Node n = ecr.entries().get("lifecycle");
        if (n == null) return null;
        if (n instanceof Scalar) return bool(ecr, "lifecycle", false) ? PipelineSpec.Lifecycle.DEFAULT : null;
        MapNode m = map(ecr, "lifecycle");
        keys(m, LIFECYCLE);
        PipelineSpec.Lifecycle d = PipelineSpec.Lifecycle.DEFAULT;
        int untagged = m.entries().containsKey("untaggedDays") ? integer(m, "untaggedDays", 0, 3650) : d.untaggedDays();
        int builds = m.entries().containsKey("unpublishedBuilds") ? integer(m, "unpublishedBuilds", 0, 9000) : d.unpublishedBuilds();
        return new PipelineSpec.Lifecycle(untagged, builds);
    }

    /** One destination block and its tag rules, if it has its own. */
    private record Block(PipelineSpec.Destination destination, Node tagRules) {
    }

    private static Block destination(MapNode d, Overrides o) throws ConfigException {
        keys(d, DESTINATION);
        MapNode ecr = map(d, "ecr");
        MapNode reg = map(d, "registry");
        if (ecr != null && reg != null && o.to() == null) {
            throw new ConfigException(d.where() + ": both 'ecr' and 'registry' are set; one destination block names one (list several under destinations)");
        }
        if (ecr == null && reg == null) throw new ConfigException(d.where() + ": give registry: {repository: HOST/PATH} or ecr: {repoName: NAME}");
        PipelineSpec.Destination dest = null;
        Node rulesNode = null;
        if (reg != null) {
            keys(reg, REGISTRY);
            Scalar repo = scalar(reg, "repository", true);
            StoreRef ref = repository(repo.text(), repo.where().toString());
            Scalar secret = scalar(reg, "credentialsSecret", false);
            if (secret != null) {
                if (!(ref instanceof StoreRef.Registry)) {
                    throw new ConfigException(secret.where() + ": " + repo.text() + " is an OCI layout, which takes no credentials; remove credentialsSecret");
                }
                if (!SECRET_ARN.matcher(secret.text()).matches()) {
                    throw new ConfigException(secret.where() + ": '" + secret.text() + "' is not a Secrets Manager secret ARN "
                            + "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME); the secret holds {\"username\": ..., \"password\": ...}");
                }
            }
            dest = new PipelineSpec.Target(ref, repo.where().toString(), secret == null ? null : secret.text());
            rulesNode = reg.entries().get("tagRules");
        }
        if (ecr != null) {
            keys(ecr, ECR);
            Scalar name = scalar(ecr, "repoName", true);
            if (!ECR_REPO.matcher(name.text()).matches() || name.text().length() < 2 || name.text().length() > 256) {
                throw new ConfigException(name.where() + ": '" + name.text() + "' is not a valid ECR repository name (lowercase letters, digits, '.', '_', '-' and '/', 2 to 256 characters)");
            }
            boolean exists = bool(ecr, "exists", false);
            dest = new PipelineSpec.Ecr(name.text(), exists, str(ecr, "region"), str(ecr, "accountId"), name.where().toString(), lifecycle(ecr));
            if (ecr.entries().containsKey("tagRules")) rulesNode = ecr.entries().get("tagRules");
        }
        return new Block(dest, rulesNode);
    }

    /**
     * The spec as the file gives it, in one pass. {@code o} only says which parts the flags will replace, so that a
     * conflict or a gap there is not reported (both ecr and registry with --to; no tag rules with --tag-rule).
     */
    private static PipelineSpec read(String origin, MapNode root, Overrides o) throws ConfigException {
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

        String workDir = o.workDir() != null ? null : str(root, "workDir"); // --workdir replaces it, checked there
        workDir = relativePath(workDir == null ? "." : workDir, where(root, "workDir"));

        List<TagRule> rules = null;
        Node rulesNode = null;
        PipelineSpec.Destination dest = null;
        List<PipelineSpec.Mirror> mirrors = new ArrayList<>();
        MapNode d = map(root, "destination");
        if (d != null && root.entries().containsKey("destinations")) {
            throw new ConfigException(where(root, "destinations") + ": both 'destination' and 'destinations' are set; list every destination under destinations");
        }
        if (d != null) {
            Block b = destination(d, o);
            dest = b.destination();
            rulesNode = b.tagRules();
        }
        if (root.entries().containsKey("destinations")) {
            ListNode l = list(root, "destinations");
            if (l == null || l.items().isEmpty()) {
                throw new ConfigException(where(root, "destinations") + ": empty; list one or more of {registry: {repository: HOST/PATH}} or {ecr: {repoName: NAME}}");
            }
            Map<String, Node> seenRepos = new LinkedHashMap<>();
            for (Node item : l.items()) {
                if (!(item instanceof MapNode m)) throw new ConfigException(item.where() + ": a destination is a mapping: {registry: {repository: HOST/PATH}} or {ecr: {repoName: NAME}}");
                if (m.entries().isEmpty()) throw new ConfigException(item.where() + ": empty; give registry: or ecr:");
                Block b = destination(m, Overrides.none());
                String key = b.destination() instanceof PipelineSpec.Target t ? t.ref().toString() : "ecr:" + ((PipelineSpec.Ecr) b.destination()).repoName();
                Node before = seenRepos.putIfAbsent(key, item);
                if (before != null) throw new ConfigException(item.where() + ": the same destination as " + before.where().path() + "; list each once");
                if (dest == null) {
                    dest = b.destination();
                    rulesNode = b.tagRules();
                } else {
                    List<TagRule> own = b.tagRules() == null ? List.of() : tagRules(b.tagRules());
                    if (b.tagRules() != null && own.isEmpty()) throw new ConfigException(b.tagRules().where() + ": no tag rules; leave tagRules out to use the first destination's tags");
                    mirrors.add(new PipelineSpec.Mirror(b.destination(), own));
                }
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
        if (rules == null) rules = DEFAULT_TAG_RULES.stream().map(TagRule::parse).toList();
        if (rules.isEmpty() && o.tagRules().isEmpty()) {
            throw new ConfigException((rulesNode != null ? rulesNode.where() : origin) + ": no tag rules; the index would have no tag");
        }

        List<Platform> platforms = new ArrayList<>();
        if (root.entries().containsKey("platforms")) {
            ListNode l = list(root, "platforms");
            if (l == null) throw new ConfigException(where(root, "platforms") + ": platforms is empty; list them, e.g. [linux/amd64, linux/arm64], or leave the key out");
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
                throw new ConfigException(where(root, "platforms") + ": platform " + p + " is listed twice");
            }
        }

        String dockerfile = str(root, "dockerfile");
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
        String target = str(root, "target");
        String archArg = root.entries().containsKey("archBuildArg") ? nullToEmpty(str(root, "archBuildArg")) : "ARCH";
        if (!archArg.isEmpty() && !ARG_NAME.matcher(archArg).matches()) {
            throw new ConfigException(where(root, "archBuildArg") + ": '" + archArg + "' is not a valid build argument name (empty disables it)");
        }
        boolean archTags = bool(root, "archTags", true);
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

        PipelineSpec.BuilderSpec builder = Sections.builder(root);
        int parallelism = root.entries().containsKey("parallelism") ? integer(root, "parallelism", 1, 64) : 0;
        PipelineSpec.TestSpec test = Sections.test(root.entries().get("test"));
        boolean fastFail = bool(root, "fastFail", false);
        PipelineSpec.SociSpec soci = Sections.soci(root.entries().get("soci"));
        PipelineSpec.Metadata metadata = new PipelineSpec.Metadata(Fields.metadataMap(root, "labels"), Fields.metadataMap(root, "annotations"),
                bool(root, "provenance", true), Sections.sign(root));

        List<PipelineSpec.Variant> variants = MatrixReader.matrix(root.entries().get("matrix"), dockerfile, target, rules);

        return new PipelineSpec(origin, pipelineName, github, workDir, dest, platforms, dockerfile, buildArgs, target, archArg,
                archTags, archNames, rules, builder, parallelism, test, fastFail, variants, soci, metadata, Sections.buildOptions(root), mirrors);
    }























}
