package io.polyarch.aws;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.tags.TagRule;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An ECR lifecycle policy that expires what polyarch leaves behind and nothing a tag users pull still needs.
 * <p>
 * ECR judges each manifest on its own: it does not know that an image is a child of an index, and expiring an image
 * removes it with every tag it has. What keeps the children of published indexes safe is ECR's rule order: an image
 * that matches the tags of a rule cannot be expired by a rule of lower priority. So the policy first matches, with a
 * count no repository reaches, every tag users pull that a pattern can name ({@code latest*}, fixed tags and fixed
 * prefixes of templates), every arch tag ({@code *-amd64}: each published child has one), the signatures and SOCI
 * referrer tags ({@code sha256-*}) and the layer caches; only then does it expire images known by a build-key tag
 * alone (built, never published) beyond the newest N, and untagged images (superseded caches, indexes no tag names)
 * after N days. The rules that could expire a child an index still lists are left out, with the reason, when
 * children have no tag of their own: arch tags off, or SOCI (its indexes are untagged entries of the index).
 */
final class EcrLifecycle {
    /** Beyond what any repository holds (ECR's limit is 10,000 images per repository by default). */
    static final int KEEP_ALL = 9999;

    private EcrLifecycle() {
    }

    /** @param text the policy as {@code LifecyclePolicyText}; {@code notes} what it leaves out and why */
    record Policy(String text, List<String> notes) {
    }

    static Policy of(PipelineSpec spec, PipelineSpec.Lifecycle l) {
        List<String> notes = new ArrayList<>();
        Set<String> keep = new LinkedHashSet<>();
        List<String> unnamed = new ArrayList<>();
        for (PipelineSpec.Variant v : spec.variants()) {
            for (TagRule r : v.tagRules()) {
                String p = pattern(r);
                if (p != null) keep.add(p);
                else unnamed.add(r.toString());
            }
        }
        for (PipelineSpec.Mirror m : spec.mirrors()) {
            for (TagRule r : m.tagRules()) {
                String p = pattern(r);
                if (p != null) keep.add(p);
            }
        }
        if (spec.archTags()) {
            for (Platform p : spec.platforms()) keep.add("*-" + spec.archName(p));
        }
        keep.add("sha256-*");
        keep.add("polyarch-cache-*");

        ArrayNode rules = JsonNodeFactory.instance.arrayNode();
        int priority = 1;
        for (String p : keep) {
            ObjectNode r = rule(rules, priority++, "keep: " + p + " (tags users pull, arch tags, signatures, caches)");
            r.putObject("selection").put("tagStatus", "tagged").<ObjectNode>set("tagPatternList", JsonNodeFactory.instance.arrayNode().add(p))
                    .put("countType", "imageCountMoreThan").put("countNumber", KEEP_ALL);
            r.putObject("action").put("type", "expire");
        }
        boolean childrenTagged = spec.archTags() && spec.soci() == null;
        if (!childrenTagged) {
            notes.add("ecr.lifecycle: " + (spec.archTags() ? "with soci, each SOCI index is an untagged entry of the published index"
                    : "with archTags off, each platform's image is an untagged child of the published index")
                    + ", and ECR does not know an index's children: the policy expires neither untagged images nor unpublished builds");
        }
        if (childrenTagged && l.unpublishedBuilds() > 0) {
            ObjectNode r = rule(rules, priority++, "expire images known only by a build key (never published), but the newest " + l.unpublishedBuilds());
            r.putObject("selection").put("tagStatus", "tagged").<ObjectNode>set("tagPatternList", JsonNodeFactory.instance.arrayNode().add("polyarch-key-*"))
                    .put("countType", "imageCountMoreThan").put("countNumber", l.unpublishedBuilds());
            r.putObject("action").put("type", "expire");
        }
        if (childrenTagged && l.untaggedDays() > 0) {
            ObjectNode r = rule(rules, priority, "expire untagged images (superseded caches, indexes no tag names) after " + l.untaggedDays() + " days");
            r.putObject("selection").put("tagStatus", "untagged").put("countType", "sinceImagePushed").put("countUnit", "days")
                    .put("countNumber", l.untaggedDays());
            r.putObject("action").put("type", "expire");
        }
        if (!unnamed.isEmpty()) {
            notes.add("ecr.lifecycle: the tags of " + String.join(", ", unnamed) + " have no fixed prefix, so no rule names them: their indexes are "
                    + "kept (give them one, e.g. \"sha-{commit-short}\", and expire them by count yourself only if no image is reused across commits)");
        }
        ObjectNode policy = JsonNodeFactory.instance.objectNode();
        policy.set("rules", rules);
        return new Policy(new String(OciJson.bytes(policy), StandardCharsets.UTF_8), notes);
    }

    private static ObjectNode rule(ArrayNode rules, int priority, String description) {
        ObjectNode r = rules.addObject();
        r.put("rulePriority", priority);
        r.put("description", description);
        return r;
    }

    /**
     * A pattern that names every tag the rule gives (and its arch tags), or null: {@code latest*}, a fixed tag and what
     * follows, the fixed start of a template. Commit, branch and semver tags have no fixed start.
     */
    static String pattern(TagRule r) {
        return switch (r) {
            case TagRule.Latest l -> "latest*";
            case TagRule.Template t -> {
                int brace = t.text().indexOf('{');
                String fixed = brace < 0 ? t.text() : t.text().substring(0, brace);
                yield fixed.isEmpty() ? null : fixed + "*";
            }
            default -> null;
        };
    }
}
