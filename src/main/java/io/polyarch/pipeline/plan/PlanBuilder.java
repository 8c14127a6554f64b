package io.polyarch.pipeline.plan;

import io.polyarch.build.Dockerfile;
import io.polyarch.git.GitSource;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.Tags;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a spec and a checkout into a {@link Plan}: reads each variant's Dockerfile, resolves its tags for the
 * commit (two variants on one tag is a config error), and lays out the jobs. Reads files; asks no engine and no
 * registry, so {@code polyarch plan} is instant and offline.
 */
public final class PlanBuilder {
    private PlanBuilder() {
    }

    /**
     * @param publish false for a build-only run ({@code --no-publish}): no publish jobs, and no SOCI jobs (the
     *                SOCI index belongs to the publish step, which indexes the images it publishes)
     */
    public static Plan build(PipelineSpec spec, GitSource.Checkout src, boolean publish) throws ConfigException {
        StoreRef dest = destination(spec);
        Path context = inside(src.root(), src.root().resolve(spec.workDir()).normalize(), spec.origin() + ": workDir '" + spec.workDir() + "'");
        if (!Files.isDirectory(context)) {
            throw new ConfigException(spec.origin() + ": workDir '" + spec.workDir() + "' is not a directory in " + src.root());
        }
        List<String> notes = new ArrayList<>();
        List<Plan.Variant> variants = variants(spec, src, context, notes);
        if (src.dirty()) notes.add("the working tree has uncommitted changes: they are built, and tagged as commit " + Tags.commitShort(src.commit()));
        List<Plan.Job> jobs = new ArrayList<>();
        for (Plan.Variant v : variants) {
            List<JobId> last = new ArrayList<>();
            for (Plan.Cell c : v.cells()) {
                JobId build = new JobId(JobKind.BUILD, c.name());
                jobs.add(new Plan.Job(build, v.name(), c.platform(), List.of(), List.of(), false));
                JobId before = build;
                if (spec.test() != null) {
                    JobId test = new JobId(JobKind.TEST, c.name());
                    jobs.add(new Plan.Job(test, v.name(), c.platform(), List.of(before), List.of(), spec.test().ignoreFailure()));
                    before = test;
                }
                JobId push = new JobId(JobKind.PUSH, c.name());
                jobs.add(new Plan.Job(push, v.name(), c.platform(), List.of(before), List.of(), false));
                if (spec.soci() != null && publish) {
                    JobId soci = new JobId(JobKind.SOCI, c.name());
                    jobs.add(new Plan.Job(soci, v.name(), c.platform(), List.of(push), List.of(), false));
                    last.add(soci);
                } else {
                    last.add(push);
                }
            }
            if (publish) {
                // the index tags, then each platform's arch tags, which must agree with them
                List<String> tags = new ArrayList<>(v.tags());
                v.cells().forEach(c -> tags.addAll(c.archTags()));
                // then, by their full names, the other destinations' (the same index, copied there first)
                for (Plan.Mirror m : v.mirrors()) {
                    m.tags().forEach(t -> tags.add(m.repository().withTag(t).toString()));
                    m.archTags().values().forEach(ts -> ts.forEach(t -> tags.add(m.repository().withTag(t).toString())));
                }
                jobs.add(new Plan.Job(publishId(v.spec(), dest), v.name(), null, last, tags, false));
            }
        }
        int cells = variants.stream().mapToInt(v -> v.cells().size()).sum();
        int parallelism = Math.max(1, spec.parallelism() > 0 ? spec.parallelism() : cells);
        Plan plan = new Plan(src.commit(), dest, context, publish, spec.fastFail(), parallelism, variants, jobs, notes);
        // the order a DagRunner would start them in (and a check that the edges hold no cycle)
        Dag<Plan.Job> dag = plan.dag();
        List<Plan.Job> ordered = dag.order().stream().map(id -> dag.job(id).payload()).toList();
        return new Plan(plan.commit(), dest, context, publish, plan.fastFail(), parallelism, variants, ordered, notes);
    }

    /**
     * {@code path} with every symbolic link resolved, which must still be inside the repository: a committed link
     * ({@code ctx -> /home/runner}) would otherwise send files from outside the checkout into the image. A path that
     * does not exist yet is returned as it is (the caller says it is missing).
     */
    static Path inside(Path root, Path path, String what) throws ConfigException {
        Path real;
        Path realRoot;
        try {
            realRoot = root.toRealPath();
            if (!Files.exists(path)) {
                if (Files.isSymbolicLink(path)) throw new ConfigException(what + " is a symbolic link to nowhere (" + Files.readSymbolicLink(path) + ")");
                return path;
            }
            real = path.toRealPath();
        } catch (java.io.IOException e) {
            throw new ConfigException(what + ": cannot resolve " + path + ": " + e.getMessage());
        }
        if (!real.startsWith(realRoot)) {
            throw new ConfigException(what + " leads outside the repository through a symbolic link (to " + real
                    + "); only files of the checkout are built: point it at a directory or file inside " + root);
        }
        return real;
    }

    /** The destination of a spec whose ECR destination, if any, has been resolved to its registry. */
    public static StoreRef destination(PipelineSpec spec) throws ConfigException {
        PipelineSpec.Destination d = spec.destination();
        if (d == null) {
            throw new ConfigException(spec.origin() + ": no destination; set destination.registry.repository (HOST[:PORT]/PATH) or pass --to REPOSITORY|oci:DIR");
        }
        if (d instanceof PipelineSpec.Ecr ecr) {
            // a front end resolves an ECR destination (account, region, credentials) through a DestinationResolver first
            throw new ConfigException(ecr.origin() + ": destination.ecr '" + ecr.repoName() + "' has not been resolved to its registry "
                    + "(io.polyarch.aws.EcrDestination); or publish to a registry: destination.registry.repository: HOST/PATH, or --to");
        }
        return ((PipelineSpec.Target) d).ref();
    }

    static String cellName(PipelineSpec.Variant v, Platform p) {
        return v.name().isEmpty() ? p.toString() : v.name() + " " + p;
    }

    static JobId publishId(PipelineSpec.Variant v, StoreRef dest) {
        return new JobId(JobKind.PUBLISH, v.name().isEmpty() ? dest.toString() : v.name());
    }

    /** The build args of one cell: the config's, the variant's variables, and the arch arg. */
    static Map<String, String> cellArgs(PipelineSpec spec, PipelineSpec.Variant v, Platform p) {
        Map<String, String> args = new LinkedHashMap<>(spec.buildArgs());
        args.putAll(v.vars());
        if (!spec.archBuildArg().isEmpty()) args.put(spec.archBuildArg(), spec.archName(p));
        return args;
    }

    private static List<Plan.Variant> variants(PipelineSpec spec, GitSource.Checkout src, Path context, List<String> notes) throws ConfigException {
        List<Plan.Variant> out = new ArrayList<>();
        Map<String, String> owner = new LinkedHashMap<>();
        Map<String, String> mirrorOwners = new LinkedHashMap<>();
        Map<String, String> standard = ImageMetadata.standard(spec, src);
        for (PipelineSpec.Variant v : spec.variants()) {
            String who = v.name().isEmpty() ? "" : "variant " + v.name() + ": ";
            Path dockerfilePath = context.resolve(v.dockerfile()).normalize();
            if (Files.exists(dockerfilePath, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                dockerfilePath = inside(src.root(), dockerfilePath, spec.origin() + ": " + who + "dockerfile '" + v.dockerfile() + "'");
            }
            Dockerfile df = dockerfile(spec, v, who, context, dockerfilePath);
            List<String> tags = tags(spec, v, who, src, notes);
            for (String t : tags) {
                String other = owner.putIfAbsent(t, v.name());
                if (other != null) {
                    throw new ConfigException(spec.origin() + ": variants " + other + " and " + v.name() + " would both publish tag '" + t + "'"
                            + (t.equals("latest") ? "; give latest to one variant (its own tagRules)" : "; use the variables in the tag rules, e.g. {"
                            + String.join("}-{", v.vars().keySet()) + "}-{commit-short}"));
                }
            }
            List<Plan.Cell> cells = new ArrayList<>();
            for (Platform p : spec.platforms()) {
                String arch = spec.archName(p);
                List<String> archTags = spec.archTags() ? archTags(tags, arch, spec.origin() + ": " + who) : List.of();
                cells.add(new Plan.Cell(cellName(v, p), p, arch, cellArgs(spec, v, p), archTags));
            }
            out.add(new Plan.Variant(v, dockerfilePath, df, tags, cells,
                    ImageMetadata.of(standard, spec.metadata().annotations(), "annotations", spec, v, src),
                    ImageMetadata.of(standard, spec.metadata().labels(), "labels", spec, v, src),
                    mirrors(spec, v, who, src, tags, cells, mirrorOwners, notes)));
        }
        return out;
    }

    /**
     * The variant's other destinations: each with its own tag rules (the variant's variables as placeholders) or the
     * variant's tags, and their arch tags.
     */
    private static List<Plan.Mirror> mirrors(PipelineSpec spec, PipelineSpec.Variant v, String who, GitSource.Checkout src, List<String> tags,
                                             List<Plan.Cell> cells, Map<String, String> owners, List<String> notes) throws ConfigException {
        List<Plan.Mirror> out = new ArrayList<>();
        StoreRef primary = destination(spec);
        for (PipelineSpec.Mirror m : spec.mirrors()) {
            if (!(m.destination() instanceof PipelineSpec.Target t)) {
                throw new ConfigException(m.destination().origin() + ": an ECR destination that has not been resolved to its registry (io.polyarch.aws.EcrResolver)");
            }
            if (t.ref().equals(primary)) {
                throw new ConfigException(t.origin() + ": " + t.ref() + " is the first destination already; list each once");
            }
            List<String> own = tags;
            if (!m.tagRules().isEmpty()) {
                PipelineSpec.Variant withRules = new PipelineSpec.Variant(v.name(), v.vars(), v.dockerfile(), v.target(), m.tagRules(), v.ignoreFailure());
                own = tags(spec, withRules, who + t.ref() + ": ", src, notes);
                for (String tag : own) {
                    String other = owners.putIfAbsent(t.ref() + ":" + tag, v.name());
                    if (other != null) {
                        throw new ConfigException(t.origin() + ": variants " + other + " and " + v.name() + " would both publish tag '" + tag + "' in "
                                + t.ref() + "; use the variables in its tag rules, e.g. {" + String.join("}-{", v.vars().keySet()) + "}-{commit-short}");
                    }
                }
            }
            Map<String, List<String>> archTags = new LinkedHashMap<>();
            for (Plan.Cell c : cells) {
                if (!c.archTags().isEmpty()) archTags.put(c.name(), archTags(own, c.arch(), t.origin() + ": " + who));
            }
            out.add(new Plan.Mirror(t.ref(), own, archTags));
        }
        return out;
    }

    /** {@code <tag>-<arch>} for each tag; {@code where} starts the message when one would be too long. */
    private static List<String> archTags(List<String> tags, String arch, String where) throws ConfigException {
        try {
            return Tags.archTags(tags, arch);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + "tagRules with archTags: " + e.getMessage()
                    + "; shorten the tag rules or the arch name (archNames), or set archTags: false");
        }
    }

    private static Dockerfile dockerfile(PipelineSpec spec, PipelineSpec.Variant v, String who, Path context, Path path) throws ConfigException {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(spec.origin() + ": " + who + "dockerfile '" + v.dockerfile() + "' not found in " + context
                    + "; set dockerfile (relative to workDir) or workDir");
        }
        Dockerfile df;
        try {
            df = Dockerfile.parse(Files.readString(path));
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read: " + e.getMessage());
        }
        if (df.froms().isEmpty()) throw new ConfigException(path + ": no FROM instruction");
        if (v.target() != null && df.froms().stream().noneMatch(f -> v.target().equalsIgnoreCase(f.stageName()))) {
            throw new ConfigException(spec.origin() + ": " + who + "target '" + v.target() + "' is not a stage of " + path.getFileName()
                    + "; its stages: " + String.join(", ", df.froms().stream().map(Dockerfile.From::stageName).filter(Objects::nonNull).toList()));
        }
        return df;
    }

    private static List<String> tags(PipelineSpec spec, PipelineSpec.Variant v, String who, GitSource.Checkout src, List<String> notes)
            throws ConfigException {
        Tags.Resolution tr;
        try {
            tr = Tags.resolve(v.tagRules(), new Tags.Context(src.commit(), src.branch(), src.tags(), v.vars()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(spec.origin() + ": " + who + e.getMessage());
        }
        tr.notes().forEach(n -> notes.add(who + n));
        if (tr.tags().isEmpty()) {
            throw new ConfigException(spec.origin() + ": " + who + "the tag rules give no tag for commit " + src.commit() + ": " + String.join("; ", tr.notes()));
        }
        return tr.tags();
    }
}
