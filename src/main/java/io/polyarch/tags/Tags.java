package io.polyarch.tags;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns tag rules into tags for one commit. Pure: the caller supplies the commit, branch and the Git tags
 * that point at it.
 */
public final class Tags {
    /** The distribution spec's tag grammar. */
    static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    static final Pattern SEMVER = Pattern.compile("v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    static final Pattern HEX = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    private Tags() {
    }

    /** What the rules are applied to. {@code branch} may be null (a detached checkout); {@code vars} are matrix values. */
    public record Context(String commit, String branch, List<String> gitTags, Map<String, String> vars) {
        public Context {
            if (commit == null || !HEX.matcher(commit).matches()) {
                throw new IllegalArgumentException("commit must be a full hex SHA, got '" + commit + "'");
            }
            gitTags = List.copyOf(gitTags);
            vars = Map.copyOf(vars);
        }
    }

    /** The tags, in rule order without duplicates, and a note for each rule that produced none. */
    public record Resolution(List<String> tags, List<String> notes) {
        public Resolution {
            tags = List.copyOf(tags);
            notes = List.copyOf(notes);
        }
    }

    public static boolean isValid(String tag) {
        return tag != null && TAG.matcher(tag).matches();
    }

    static void requireValid(String tag, String what) {
        if (!isValid(tag)) {
            throw new IllegalArgumentException(what + " is not a valid tag: tags are 1 to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }
    }

    /** A branch name as a tag: anything outside the tag alphabet becomes '-', e.g. {@code feature/Login} → {@code feature-Login}. */
    public static String sanitize(String branch) {
        String s = branch.replaceFirst("^refs/heads/", "").replaceAll("[^A-Za-z0-9_.-]", "-");
        s = s.replaceAll("^[.-]+", "");
        if (s.length() > 128) s = s.substring(0, 128);
        return s;
    }

    public static String commitShort(String commit) {
        return commit.substring(0, 8);
    }

    /** The highest {@code vX.Y.Z} among the Git tags (release versions beat pre-releases of the same core). */
    public static Optional<String> semver(List<String> gitTags) {
        String best = null;
        long[] bestKey = null;
        for (String t : gitTags) {
            Matcher m = SEMVER.matcher(t);
            if (!m.matches()) continue;
            long[] key = {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), m.group(4) == null ? 1 : 0};
            if (bestKey == null || compare(key, bestKey) > 0) {
                bestKey = key;
                best = t.startsWith("v") ? t.substring(1) : t;
            }
        }
        return Optional.ofNullable(best);
    }

    private static int compare(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            int c = Long.compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    public static Resolution resolve(List<TagRule> rules, Context ctx) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        List<String> notes = new ArrayList<>();
        Optional<String> version = semver(ctx.gitTags());
        String branch = ctx.branch() == null ? null : sanitize(ctx.branch());
        if (branch != null && branch.isEmpty()) branch = null;
        for (TagRule r : rules) {
            switch (r) {
                case TagRule.Latest l -> out.add("latest");
                case TagRule.Commit c -> out.add(ctx.commit());
                case TagRule.CommitShort c -> out.add(commitShort(ctx.commit()));
                case TagRule.Branch b -> {
                    if (branch == null) notes.add("tag rule 'branch': the checkout is not on a branch (detached HEAD); no branch tag");
                    else out.add(branch);
                }
                case TagRule.Semver s -> {
                    if (version.isEmpty()) {
                        notes.add("tag rule 'semver': no vX.Y.Z tag points at " + commitShort(ctx.commit()) + "; no version tags");
                    } else {
                        String v = version.get().replace('+', '_');
                        out.add(v);
                        Matcher m = SEMVER.matcher(version.get());
                        if (m.matches() && m.group(4) == null) {
                            out.add(m.group(1) + "." + m.group(2));
                            out.add(m.group(1));
                        }
                    }
                }
                case TagRule.Template t -> {
                    String value = expand(t, ctx, branch, version.orElse(null), notes);
                    if (value != null) {
                        requireValid(value, "tag rule '" + t.text() + "' gave '" + value + "', which");
                        out.add(value);
                    }
                }
            }
        }
        return new Resolution(new ArrayList<>(out), notes);
    }

    private static String expand(TagRule.Template t, Context ctx, String branch, String version, List<String> notes) {
        Matcher m = TagRule.PLACEHOLDER.matcher(t.text());
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = switch (name.toLowerCase(Locale.ROOT)) {
                case "commit" -> ctx.commit();
                case "commit-short", "commit_short" -> commitShort(ctx.commit());
                case "branch" -> branch;
                case "semver" -> version == null ? null : version.replace('+', '_');
                default -> ctx.vars().containsKey(name) ? sanitize(ctx.vars().get(name)) : unknown(name, t, ctx);
            };
            if (value == null) {
                notes.add("tag rule '" + t.text() + "': {" + name + "} has no value for this commit; tag skipped");
                return null;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String unknown(String name, TagRule.Template t, Context ctx) {
        List<String> known = new ArrayList<>(TagRule.BUILTIN_PLACEHOLDERS);
        known.addAll(ctx.vars().keySet());
        String close = Suggest.closest(name, known);
        throw new IllegalArgumentException("tag rule '" + t.text() + "': unknown placeholder {" + name + "}"
                + (close != null ? "; did you mean {" + close + "}?" : "; known: {" + String.join("}, {", known) + "}"));
    }

    /** {@code <tag>-<arch>} for every tag. */
    public static List<String> archTags(List<String> tags, String archName) {
        List<String> out = new ArrayList<>();
        for (String t : tags) {
            String a = t + "-" + archName;
            requireValid(a, "arch tag '" + a + "'");
            out.add(a);
        }
        return out;
    }
}
