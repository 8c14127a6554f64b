package io.polyarch.build;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What polyarch needs to know of a Dockerfile before building it: the {@code FROM} lines (image, {@code --platform},
 * stage name), the global {@code ARG}s they may use, and which stages run programs ({@code RUN}) on the target
 * platform, which is what needs emulation. Not a full parser: instructions are recognised by their first word,
 * with line continuations, comments and the escape directive handled.
 */
public final class Dockerfile {
    /** One {@code FROM}: {@code line} is the 0-based index of its first physical line. */
    public record From(int line, String image, String platformFlag, String stageName, boolean hasRun) {
        /** True when the image is an earlier stage or {@code scratch}, not something to pull. */
        public boolean isStageOrScratch(Set<String> earlierStages) {
            return "scratch".equalsIgnoreCase(image) || earlierStages.contains(image.toLowerCase(Locale.ROOT));
        }

        /** True when this stage runs on the build platform ({@code --platform=$BUILDPLATFORM}), so RUN needs no emulation. */
        public boolean onBuildPlatform() {
            return platformFlag != null && platformFlag.replace("{", "").replace("}", "").equals("$BUILDPLATFORM");
        }
    }

    private static final Pattern ESCAPE = Pattern.compile("^#\\s*escape\\s*=\\s*(\\S)\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern VAR = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?}|([A-Za-z_][A-Za-z0-9_]*))");

    private final List<String> lines;
    private final List<From> froms;
    private final Map<String, String> globalArgs;

    private Dockerfile(List<String> lines, List<From> froms, Map<String, String> globalArgs) {
        this.lines = List.copyOf(lines);
        this.froms = List.copyOf(froms);
        this.globalArgs = java.util.Collections.unmodifiableMap(globalArgs);
    }

    public List<From> froms() {
        return froms;
    }

    /** {@code ARG}s declared before the first FROM, with their defaults (null when none). */
    public Map<String, String> globalArgs() {
        return globalArgs;
    }

    public static Dockerfile parse(String text) {
        List<String> physical = text.lines().toList();
        char escape = '\\';
        for (String l : physical) {
            String t = l.strip();
            if (!t.startsWith("#")) break;
            Matcher m = ESCAPE.matcher(t);
            if (m.matches()) escape = m.group(1).charAt(0);
        }
        List<From> froms = new ArrayList<>();
        Map<String, String> args = new LinkedHashMap<>();
        int i = 0;
        int fromLine = -1;
        String image = null, platform = null, name = null;
        boolean hasRun = false;
        while (i < physical.size()) {
            int start = i;
            StringBuilder logical = new StringBuilder();
            while (i < physical.size()) {
                String l = physical.get(i++);
                String t = l.strip();
                if (t.startsWith("#") && logical.length() > 0) continue; // comments inside a continuation
                if (t.endsWith(String.valueOf(escape))) {
                    logical.append(t, 0, t.length() - 1).append(' ');
                    continue;
                }
                logical.append(t);
                break;
            }
            String instr = logical.toString().strip();
            if (instr.isEmpty() || instr.startsWith("#")) continue;
            String[] words = instr.split("\\s+");
            String op = words[0].toUpperCase(Locale.ROOT);
            if (op.equals("FROM")) {
                if (fromLine >= 0) froms.add(new From(fromLine, image, platform, name, hasRun));
                fromLine = start;
                platform = null;
                name = null;
                hasRun = false;
                int w = 1;
                while (w < words.length && words[w].startsWith("--")) {
                    if (words[w].toLowerCase(Locale.ROOT).startsWith("--platform=")) platform = words[w].substring("--platform=".length());
                    w++;
                }
                image = w < words.length ? words[w] : "";
                if (w + 2 < words.length && words[w + 1].equalsIgnoreCase("AS")) name = words[w + 2].toLowerCase(Locale.ROOT);
            } else if (op.equals("ARG") && fromLine < 0) {
                for (int w = 1; w < words.length; w++) {
                    String a = words[w];
                    int eq = a.indexOf('=');
                    if (eq > 0) args.put(a.substring(0, eq), unquote(a.substring(eq + 1)));
                    else args.put(a, null);
                }
            } else if (op.equals("RUN")) {
                hasRun = true;
            }
        }
        if (fromLine >= 0) froms.add(new From(fromLine, image, platform, name, hasRun));
        return new Dockerfile(physical, froms, args);
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) return s.substring(1, s.length() - 1);
        return s;
    }

    /**
     * Substitutes {@code $VAR} and {@code ${VAR}} from the build arguments and global ARG defaults; returns null
     * when a variable has no value (the image cannot be known before the build).
     */
    public String expand(String s, Map<String, String> buildArgs) {
        Map<String, String> values = new HashMap<>();
        for (var e : globalArgs.entrySet()) if (e.getValue() != null) values.put(e.getKey(), e.getValue());
        for (var e : buildArgs.entrySet()) if (globalArgs.containsKey(e.getKey()) || e.getKey().startsWith("TARGET") || e.getKey().startsWith("BUILD")) values.put(e.getKey(), e.getValue());
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1) != null ? m.group(1) : m.group(2));
            if (v == null) return null;
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** True when some stage that runs on the target platform has a RUN step. */
    public boolean runsOnTarget() {
        return froms.stream().anyMatch(f -> f.hasRun() && !f.onBuildPlatform());
    }

    /**
     * The Dockerfile with the given FROM lines' images replaced (line index → new image reference), everything
     * else byte for byte the same.
     */
    public String rewrite(Map<Integer, String> images) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            String img = images.get(i);
            if (img != null) l = replaceImage(l, img);
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    private static String replaceImage(String line, String image) {
        Matcher m = Pattern.compile("^(\\s*FROM\\s+(?:--\\S+\\s+)*)(\\S+)(.*)$", Pattern.CASE_INSENSITIVE).matcher(line);
        if (!m.matches()) throw new IllegalStateException("FROM line has its image on a continuation line: " + line);
        return m.group(1) + image + m.group(3);
    }
}
