package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.Node.ListNode;
import io.polyarch.pipeline.spec.Node.MapNode;
import io.polyarch.pipeline.spec.Node.Scalar;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.Suggest;
import io.polyarch.tags.TagRule;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;

/**
 * Typed reads of config nodes that name the field on error (file:line:col, the key path, what was expected, and for
 * an unknown key the closest known one), shared by the readers of the config's sections.
 */
final class Fields {
    private Fields() {
    }

    static void keys(MapNode m, Set<String> allowed) throws ConfigException {
        for (var e : m.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String close = Suggest.closest(e.getKey(), allowed);
                throw new ConfigException(m.keyWhere(e.getKey()) + ": unknown key '" + e.getKey() + "'"
                        + (close != null ? "; did you mean '" + close + "'?" : "; expected one of " + String.join(", ", new LinkedHashSet<>(sorted(allowed)))));
            }
        }
    }

    static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(String.CASE_INSENSITIVE_ORDER);
        return l;
    }

    static String where(MapNode m, String key) {
        Node n = m.entries().get(key);
        return n != null ? n.where().toString() : m.where().file() + ": " + key;
    }

    static MapNode map(MapNode m, String key) throws ConfigException {
        Node n = m.entries().get(key);
        if (n == null || (n instanceof Scalar s && s.isNull())) return null;
        if (n instanceof MapNode mm) return mm;
        throw new ConfigException(n.where() + ": expected a mapping (key: value lines)");
    }

    /** The list under {@code key}, or null when the key is absent or null. */
    static ListNode list(MapNode m, String key) throws ConfigException {
        Node n = m.entries().get(key);
        if (n == null || (n instanceof Scalar s && s.isNull())) return null;
        if (n instanceof ListNode l) return l;
        throw new ConfigException(n.where() + ": expected a list");
    }

    static Scalar scalarOf(Node n, String expected) throws ConfigException {
        if (n instanceof Scalar s) return s;
        throw new ConfigException(n.where() + ": expected " + expected + ", found a " + (n instanceof MapNode ? "mapping" : "list"));
    }

    static Scalar scalar(MapNode m, String key, boolean required) throws ConfigException {
        Node n = m.entries().get(key);
        if (n == null || (n instanceof Scalar s0 && s0.isNull())) {
            if (required) throw new ConfigException(m.where() + ": missing required key '" + key + "'");
            return null;
        }
        Scalar s = scalarOf(n, "a value");
        if (required && s.text().isBlank()) throw new ConfigException(s.where() + ": must not be empty");
        return s;
    }

    static String str(MapNode m, String key) throws ConfigException {
        Scalar s = scalar(m, key, false);
        return s == null ? null : s.text();
    }

    static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    static boolean bool(MapNode m, String key, boolean dflt) throws ConfigException {
        Scalar s = scalar(m, key, false);
        if (s == null) return dflt;
        return switch (s.text().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(s.where() + ": expected true or false, got '" + s.text() + "'");
        };
    }

    /** A label or annotation key: {@code org.opencontainers.image.title}, {@code team}; no spaces or '='. */
    static String metadataKey(String key, String where) throws ConfigException {
        if (key == null || !key.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")) {
            throw new ConfigException(where + ": '" + key + "' is not a label or annotation key (letters, digits, '.', '_', '/', '-'; "
                    + "reverse-DNS like org.example.team)");
        }
        return key;
    }

    /** {@code labels:} or {@code annotations:}: a mapping of keys to text (which may use the tag rules' placeholders). */
    static Map<String, String> metadataMap(MapNode root, String key) throws ConfigException {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        MapNode m = map(root, key);
        if (m == null) return out;
        for (var e : m.entries().entrySet()) {
            metadataKey(e.getKey(), e.getValue().where() + ": " + key);
            Scalar s = scalarOf(e.getValue(), "text");
            String v = s.isNull() ? "" : s.text();
            if (v.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new ConfigException(s.where() + ": " + key + "." + e.getKey() + " contains control characters");
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    static int integer(MapNode m, String key, int min, int max) throws ConfigException {
        Scalar s = scalar(m, key, true);
        try {
            int v = Integer.parseInt(s.text());
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(s.where() + ": expected a whole number from " + min + " to " + max + ", got '" + s.text() + "'");
        }
    }

    static StoreRef repository(String text, String where) throws ConfigException {
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

    static Platform platform(String text, String where) throws ConfigException {
        try {
            return Platform.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    static String relativePath(String p, String where) throws ConfigException {
        Path path = Path.of(p).normalize();
        if (path.isAbsolute() || path.startsWith("..")) {
            throw new ConfigException(where + ": '" + p + "' must be a path inside the repository (relative, no '..')");
        }
        return path.toString().isEmpty() ? "." : path.toString();
    }

    static List<TagRule> tagRules(Node n) throws ConfigException {
        if (!(n instanceof ListNode l)) throw new ConfigException(n.where() + ": expected a list of tag rules, e.g. [latest, commit, commit-short]");
        List<TagRule> out = new ArrayList<>();
        for (Node item : l.items()) {
            try {
                if (item instanceof Scalar s && !s.isNull()) {
                    out.add(TagRule.parse(s.text()));
                } else if (item instanceof MapNode m) {
                    keys(m, SpecLoader.TAG_RULE_MAP);
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

    static PipelineSpec.Kind kind(String text, String where) throws ConfigException {
        try {
            return PipelineSpec.Kind.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException(where + ": builder '" + text + "': expected auto, docker or buildah");
        }
    }
}
