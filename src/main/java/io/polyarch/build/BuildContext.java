package io.polyarch.build;

import io.polyarch.oci.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The build context as the builder sees it: the files under the context directory that {@code .dockerignore}
 * (or {@code <Dockerfile>.dockerignore} beside the Dockerfile, as BuildKit reads it) does not exclude, with
 * Docker's pattern rules (moby/patternmatcher: {@code *}, {@code ?}, {@code [..]}, {@code **}, {@code !} exceptions,
 * last match wins, a pattern that matches a directory excludes what is in it). Its digest covers every included
 * path, its type, permission bits, and its content or link target, so any change a build could see changes it.
 */
public final class BuildContext {
    private final List<Rule> rules;

    private record Rule(Pattern regex, boolean exclusion, String text) {
    }

    private BuildContext(List<Rule> rules) {
        this.rules = rules;
    }

    /** The ignore file that applies: {@code <dockerfile>.dockerignore} if present, else the context's {@code .dockerignore}. */
    public static BuildContext of(Path context, Path dockerfile) throws IOException {
        Path specific = dockerfile == null ? null : dockerfile.resolveSibling(dockerfile.getFileName() + ".dockerignore");
        Path ignore = specific != null && Files.isRegularFile(specific) ? specific : context.resolve(".dockerignore");
        return parse(Files.isRegularFile(ignore) ? Files.readAllLines(ignore, StandardCharsets.UTF_8) : List.of());
    }

    public static BuildContext parse(List<String> lines) {
        List<Rule> rules = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            boolean exception = line.startsWith("!");
            if (exception) line = line.substring(1).strip();
            line = clean(line);
            if (line.isEmpty()) continue;
            rules.add(new Rule(Pattern.compile(regex(line)), !exception, raw.strip()));
        }
        return new BuildContext(List.copyOf(rules));
    }

    /** filepath.Clean of a slash path without its leading "/" (patterns are relative to the context). */
    private static String clean(String p) {
        List<String> parts = new ArrayList<>();
        for (String s : p.split("/")) {
            if (s.isEmpty() || s.equals(".")) continue;
            if (s.equals("..")) {
                if (!parts.isEmpty()) parts.remove(parts.size() - 1);
                continue;
            }
            parts.add(s);
        }
        return String.join("/", parts);
    }

    /** Docker's pattern → regex: {@code **} any number of directories, {@code *} and {@code ?} within one name. */
    private static String regex(String p) {
        StringBuilder r = new StringBuilder("^");
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*') {
                if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < p.length() && p.charAt(i + 1) == '/') {
                        i++;
                        r.append("(.*/)?");
                    } else {
                        r.append(".*");
                    }
                } else {
                    r.append("[^/]*");
                }
            } else if (c == '?') {
                r.append("[^/]");
            } else if (c == '[') {
                int end = p.indexOf(']', i + 1);
                if (end < 0) {
                    r.append("\\[");
                } else {
                    String cls = p.substring(i + 1, end);
                    if (cls.startsWith("^")) cls = "^" + cls.substring(1).replace("\\", "\\\\");
                    else cls = cls.replace("\\", "\\\\");
                    r.append('[').append(cls).append(']');
                    i = end;
                }
            } else if (c == '\\' && i + 1 < p.length()) {
                r.append(Pattern.quote(String.valueOf(p.charAt(++i))));
            } else {
                r.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return r.append("$").toString();
    }

    /** True when the relative slash path is left out of the context (it, or a directory above it, is excluded). */
    public boolean excluded(String rel) {
        boolean out = false;
        for (Rule rule : rules) {
            if (matchesOrParent(rule.regex(), rel)) out = rule.exclusion();
        }
        return out;
    }

    private static boolean matchesOrParent(Pattern p, String rel) {
        if (p.matcher(rel).matches()) return true;
        for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
            if (p.matcher(rel.substring(0, i)).matches()) return true;
        }
        return false;
    }

    private boolean hasExceptions() {
        return rules.stream().anyMatch(r -> !r.exclusion());
    }

    /** The digest of the context: every included entry in path order, with its type, mode and content. */
    public Digest digest(Path context) throws IOException {
        MessageDigest all = Digest.newSha256();
        List<String> entries = new ArrayList<>();
        walk(context, context, entries);
        entries.sort(null);
        byte[] buf = new byte[1 << 16];
        for (String rel : entries) {
            Path p = context.resolve(rel);
            StringBuilder line = new StringBuilder(rel).append('\0');
            if (Files.isSymbolicLink(p)) {
                line.append("link ").append(Files.readSymbolicLink(p));
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                line.append("dir ").append(mode(p));
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                MessageDigest f = Digest.newSha256();
                try (InputStream in = Files.newInputStream(p)) {
                    for (int n; (n = in.read(buf)) > 0; ) f.update(buf, 0, n);
                }
                line.append("file ").append(mode(p)).append(' ').append(Digest.ofSha256(f));
            } else {
                line.append("other");
            }
            all.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        }
        return Digest.ofSha256(all);
    }

    private void walk(Path root, Path dir, List<String> out) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.toList();
        }
        for (Path child : children) {
            String rel = root.relativize(child).toString().replace('\\', '/');
            boolean isDir = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
            boolean ex = excluded(rel);
            if (!ex) out.add(rel);
            // an excluded directory is skipped whole unless an exception pattern could bring something in it back
            if (isDir && (!ex || hasExceptions())) walk(root, child, out);
        }
    }

    private static String mode(Path p) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int m = 0;
            for (PosixFilePermission x : perms) m |= 1 << (8 - x.ordinal());
            return Integer.toOctalString(m);
        } catch (UnsupportedOperationException e) {
            return Files.isExecutable(p) ? "755" : "644";
        }
    }
}
