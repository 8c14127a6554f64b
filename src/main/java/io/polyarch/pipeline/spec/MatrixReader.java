package io.polyarch.pipeline.spec;

import io.polyarch.pipeline.spec.Node.ListNode;
import io.polyarch.pipeline.spec.Node.MapNode;
import io.polyarch.pipeline.spec.Node.Scalar;
import io.polyarch.tags.Suggest;
import io.polyarch.tags.TagRule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.polyarch.pipeline.spec.Fields.bool;
import static io.polyarch.pipeline.spec.Fields.scalarOf;
import static io.polyarch.pipeline.spec.Fields.str;
import static io.polyarch.pipeline.spec.Fields.tagRules;

/** The {@code matrix:} section: axes multiplied out (with exclude and include), or a list of variants. */
final class MatrixReader {
    static final Set<String> VARIANT_KEYS = Set.of("name", "dockerfile", "target", "tagRules", "ignoreFailure");
    /** Far more than any real matrix (each variant is a build per platform); bounds memory on a hostile config. */
    static final int MAX_VARIANTS = 256;

    private MatrixReader() {
    }

    /**
     * {@code matrix: {AXIS: [values], ..., exclude: [{..}], include: [{..}]}} (every combination of the axes, as CI
     * matrices do) or {@code matrix: [{VAR: value, ...}, ...]} (explicit variants). A variant map may also set
     * {@code name}, {@code dockerfile}, {@code target} and {@code tagRules}.
     */
    static List<PipelineSpec.Variant> matrix(Node n, String dockerfile, String target, List<TagRule> rules) throws ConfigException {
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
                if (!SpecLoader.ARG_NAME.matcher(e.getKey()).matches()) throw new ConfigException(m.keyWhere(e.getKey()) + ": '" + e.getKey() + "' is not a valid variable name");
                if (!(e.getValue() instanceof ListNode values) || values.items().isEmpty()) {
                    throw new ConfigException(e.getValue().where() + ": a matrix axis is a non-empty list of values, e.g. " + e.getKey() + ": [\"3.11\", \"3.12\"]");
                }
                if ((long) product.size() * values.items().size() > MAX_VARIANTS) {
                    throw new ConfigException(e.getValue().where() + ": the matrix multiplies out to more than " + MAX_VARIANTS
                            + " variants (" + product.size() + " x " + values.items().size() + " at axis " + e.getKey() + "); split it, or list the variants");
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
                    if (!SpecLoader.ARG_NAME.matcher(e.getKey()).matches()) {
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
        if (out.size() > MAX_VARIANTS) throw new ConfigException(n.where() + ": " + out.size() + " variants; a matrix has at most " + MAX_VARIANTS);
        return out;
    }

    static Map<String, String> vars(Node item) throws ConfigException {
        if (!(item instanceof MapNode m)) throw new ConfigException(item.where() + ": expected {VARIABLE: value}");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (var e : m.entries().entrySet()) out.put(e.getKey(), scalarOf(e.getValue(), "a value").text());
        return out;
    }
}
