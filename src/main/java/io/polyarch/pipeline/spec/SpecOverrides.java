package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.tags.TagRule;

import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The flags of {@code run} and {@code plan} applied to the spec the file gave: each replaces what it names, and a
 * matrix variant that inherited the top-level Dockerfile, target or tag rules inherits the flag's. Errors name the flag.
 */
final class SpecOverrides {
    private SpecOverrides() {
    }

    static PipelineSpec apply(PipelineSpec s, SpecLoader.Overrides o) throws ConfigException {
        String workDir = o.workDir() != null ? Fields.relativePath(o.workDir(), "--workdir") : s.workDir();
        PipelineSpec.Destination dest = o.to() != null ? new PipelineSpec.Target(Fields.repository(o.to(), "--to"), "--to") : s.destination();
        // --to replaces every destination of the file; --also-to adds to those that are left
        List<PipelineSpec.Mirror> mirrors = new ArrayList<>(o.to() != null ? List.of() : s.mirrors());
        for (String also : o.alsoTo()) {
            StoreRef ref = Fields.repository(also, "--also-to");
            if (dest instanceof PipelineSpec.Target t && t.ref().equals(ref)
                    || mirrors.stream().anyMatch(m -> m.destination() instanceof PipelineSpec.Target t && t.ref().equals(ref))) {
                throw new ConfigException("--also-to " + also + ": already a destination of this run; name each once");
            }
            mirrors.add(new PipelineSpec.Mirror(new PipelineSpec.Target(ref, "--also-to"), List.of()));
        }
        List<Platform> platforms = o.platforms().isEmpty() ? s.platforms() : platforms(o.platforms());
        String dockerfile = s.dockerfile();
        if (o.dockerfile() != null) {
            if (o.dockerfile().isBlank()) throw new ConfigException("--dockerfile: empty; name the Dockerfile relative to workDir");
            dockerfile = o.dockerfile();
        }
        Map<String, String> buildArgs = new LinkedHashMap<>(s.buildArgs());
        for (var e : o.buildArgs().entrySet()) {
            if (!SpecLoader.ARG_NAME.matcher(e.getKey()).matches()) throw new ConfigException("--build-arg: '" + e.getKey() + "' is not a valid build argument name");
            buildArgs.put(e.getKey(), e.getValue());
        }
        String target = o.target() != null ? o.target() : s.target();
        boolean archTags = o.archTags() != null ? o.archTags() : s.archTags();
        List<TagRule> rules = o.tagRules().isEmpty() ? s.tagRules() : tagRules(o.tagRules());
        PipelineSpec.BuilderSpec b = s.builder();
        if (o.builder() != null) b = new PipelineSpec.BuilderSpec(Fields.kind(o.builder(), "--builder"), b.dockerMode(), b.dockerBinary(), b.endpoints());
        List<PipelineSpec.Variant> variants = s.variants();
        if (s.hasMatrix()) {
            List<PipelineSpec.Variant> vs = new ArrayList<>();
            for (PipelineSpec.Variant v : s.variants()) {
                vs.add(new PipelineSpec.Variant(v.name(), v.vars(), inherit(v.dockerfile(), s.dockerfile(), dockerfile), inherit(v.target(), s.target(), target),
                        inherit(v.tagRules(), s.tagRules(), rules), v.ignoreFailure()));
            }
            variants = vs;
        } else {
            variants = null; // one variant, made from the top level
        }
        return new PipelineSpec(s.origin(), s.pipelineName(), s.github(), workDir, dest, platforms, dockerfile, buildArgs, target, s.archBuildArg(),
                archTags, s.archNames(), rules, b, s.parallelism(), s.test(), s.fastFail(), variants, s.soci(), metadata(s.metadata(), o),
                s.buildOptions(), mirrors);
    }

    /** {@code --label K=V} and {@code --annotation K=V} add to, or replace, the config's. */
    private static PipelineSpec.Metadata metadata(PipelineSpec.Metadata m, SpecLoader.Overrides o) throws ConfigException {
        Map<String, String> labels = new LinkedHashMap<>(m.labels());
        Map<String, String> annotations = new LinkedHashMap<>(m.annotations());
        for (var e : o.labels().entrySet()) labels.put(Fields.metadataKey(e.getKey(), "--label"), e.getValue());
        for (var e : o.annotations().entrySet()) annotations.put(Fields.metadataKey(e.getKey(), "--annotation"), e.getValue());
        PipelineSpec.Sign sign = m.sign();
        if (o.signKey() != null) {
            if (o.signKey().isBlank()) throw new ConfigException("--sign-key: empty; give a cosign key file");
            sign = new PipelineSpec.Sign(o.signKey(), null, "--sign-key");
        }
        return new PipelineSpec.Metadata(labels, annotations, m.provenance(), sign);
    }

    /** A variant's own value stays; one it took from the top level follows the flag. */
    private static <T> T inherit(T variant, T topLevel, T flag) {
        return Objects.equals(variant, topLevel) ? flag : variant;
    }

    private static List<Platform> platforms(List<String> flags) throws ConfigException {
        List<Platform> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String p : flags) {
            for (String one : p.split(",")) {
                Platform pl = Fields.platform(one.trim(), "--platform");
                if (!seen.add(pl.key())) throw new ConfigException("--platform: platform " + pl + " is listed twice");
                out.add(pl);
            }
        }
        return out;
    }

    private static List<TagRule> tagRules(List<String> flags) throws ConfigException {
        List<TagRule> rules = new ArrayList<>();
        for (String r : flags) {
            try {
                rules.add(TagRule.parse(r));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--tag-rule: " + e.getMessage());
            }
        }
        return rules;
    }
}
