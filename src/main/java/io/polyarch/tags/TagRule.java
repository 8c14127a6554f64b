package io.polyarch.tags;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tag rule of a pipeline: {@code latest}, {@code commit} (the full SHA), {@code commit-short}
 * (always the first 8 characters), {@code branch} (sanitised), {@code semver} ({@code X.Y.Z}, {@code X.Y},
 * {@code X} from a {@code vX.Y.Z} tag on the commit), or a template such as {@code {branch}-{commit-short}}
 * (a template without placeholders is a literal tag).
 */
public sealed interface TagRule {
    /** The name a user writes in the config. */
    String text();

    record Latest() implements TagRule {
        public String text() {
            return "latest";
        }
    }

    record Commit() implements TagRule {
        public String text() {
            return "commit";
        }
    }

    record CommitShort() implements TagRule {
        public String text() {
            return "commit-short";
        }
    }

    record Branch() implements TagRule {
        public String text() {
            return "branch";
        }
    }

    record Semver() implements TagRule {
        public String text() {
            return "semver";
        }
    }

    /** A literal or templated tag; placeholders are {@code {name}}. */
    record Template(String text) implements TagRule {
        public Template {
            if (text == null || text.isBlank()) throw new IllegalArgumentException("empty tag template");
        }

        public List<String> placeholders() {
            List<String> out = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(text);
            while (m.find()) out.add(m.group(1));
            return out;
        }
    }

    Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_-]*)}");
    List<String> NAMES = List.of("latest", "commit", "commit-short", "branch", "semver");
    /** Placeholders every template may use; matrix variables come on top. */
    List<String> BUILTIN_PLACEHOLDERS = List.of("commit", "commit-short", "branch", "semver");

    /**
     * Parses a rule name or a template. A word that is not a rule but is close to one ({@code comit})
     * is refused rather than published as a literal tag: that is almost always a typo.
     */
    static TagRule parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty tag rule; expected one of " + String.join(", ", NAMES) + " or a template like {branch}-{commit-short}");
        String t = text.strip();
        switch (t.toLowerCase(Locale.ROOT)) {
            case "latest":
                return new Latest();
            case "commit":
            case "commit-sha":
                return new Commit();
            case "commit-short":
                return new CommitShort();
            case "branch":
                return new Branch();
            case "semver":
                return new Semver();
            default:
                break;
        }
        if (!t.contains("{")) {
            String close = Suggest.closest(t.toLowerCase(Locale.ROOT), NAMES, 2);
            if (close != null) {
                throw new IllegalArgumentException("unknown tag rule '" + t + "'; did you mean '" + close + "'? (for a literal tag '" + t
                        + "' write {literal: " + t + "})");
            }
            Tags.requireValid(t, "tag rule '" + t + "'");
        }
        return new Template(t);
    }

    /** A literal tag, taken as written (checked against the tag grammar). */
    static TagRule literal(String tag) {
        Tags.requireValid(tag, "literal tag '" + tag + "'");
        return new Template(tag);
    }
}
