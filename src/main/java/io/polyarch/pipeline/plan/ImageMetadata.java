package io.polyarch.pipeline.plan;

import io.polyarch.git.GitSource;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.tags.TagRule;
import io.polyarch.tags.Tags;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * The {@code org.opencontainers.image.*} annotations and labels of a variant's images, as docker/metadata-action
 * sets them, from the commit alone (never the clock, so that a rebuild of one commit writes the same bytes):
 * revision, source, created (the commit's time), version (its semver tag), title; then the config's and the flags'
 * own, whose values may use the tag rules' placeholders.
 */
public final class ImageMetadata {
    public static final String REVISION = "org.opencontainers.image.revision";
    public static final String SOURCE = "org.opencontainers.image.source";
    public static final String CREATED = "org.opencontainers.image.created";
    public static final String VERSION = "org.opencontainers.image.version";
    public static final String TITLE = "org.opencontainers.image.title";

    private ImageMetadata() {
    }

    /** The standard keys for this commit. */
    static Map<String, String> standard(PipelineSpec spec, GitSource.Checkout src) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(REVISION, src.commit());
        String source = spec.github() != null && spec.github().owner() != null && spec.github().repo() != null
                ? "https://github.com/" + spec.github().owner() + "/" + spec.github().repo() : src.origin();
        if (source != null) m.put(SOURCE, source);
        if (src.commitTime() != null) m.put(CREATED, src.commitTime());
        Tags.semver(src.tags()).ifPresent(v -> m.put(VERSION, v));
        m.put(TITLE, title(spec, src, source));
        return m;
    }

    private static String title(PipelineSpec spec, GitSource.Checkout src, String source) {
        if (spec.pipelineName() != null && !spec.pipelineName().isBlank()) return spec.pipelineName();
        if (spec.github() != null && spec.github().repo() != null) return spec.github().repo();
        if (source != null) {
            String path = source.replaceFirst("/+$", "");
            return path.substring(path.lastIndexOf('/') + 1);
        }
        Path name = src.root().getFileName();
        return name == null ? "image" : name.toString();
    }

    /** The standard keys, then {@code extra} with its placeholders expanded for this variant. */
    static Map<String, String> of(Map<String, String> standard, Map<String, String> extra, String what, PipelineSpec spec,
                                  PipelineSpec.Variant v, GitSource.Checkout src) throws ConfigException {
        Map<String, String> out = new LinkedHashMap<>(standard);
        for (var e : extra.entrySet()) out.put(e.getKey(), expand(e.getValue(), what + "." + e.getKey(), spec, v, src));
        return out;
    }

    private static String expand(String text, String what, PipelineSpec spec, PipelineSpec.Variant v, GitSource.Checkout src) throws ConfigException {
        Matcher m = TagRule.PLACEHOLDER.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = switch (name.toLowerCase(Locale.ROOT)) {
                case "commit" -> src.commit();
                case "commit-short", "commit_short" -> Tags.commitShort(src.commit());
                case "branch" -> src.branch() == null ? "" : src.branch();
                case "semver" -> Tags.semver(src.tags()).orElse("");
                default -> Optional.ofNullable(v.vars().get(name)).orElse(null);
            };
            if (value == null) {
                throw new ConfigException(spec.origin() + ": " + what + ": unknown placeholder {" + name + "}; use "
                        + String.join(", ", TagRule.BUILTIN_PLACEHOLDERS.stream().map(p -> "{" + p + "}").toList())
                        + (v.vars().isEmpty() ? "" : " or a matrix variable (" + String.join(", ", v.vars().keySet()) + ")"));
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
