package io.polyarch.build.docker;

import io.polyarch.oci.Platform;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a docker client said about itself on an earlier run (its version, whether {@code docker buildx} works), kept
 * in the user's cache directory under the identity of the files that decide it: the client binary and the buildx
 * plugin it would load (path, size, modification time). Asking costs a process start or three (~0.2 s before any
 * build can start, on two cores); a new or replaced client or plugin has another identity and is asked again. The
 * engine's own facts are never kept: they come from its socket on every run. Nothing here is needed for
 * correctness: a cache that cannot be read or written is a cache miss.
 */
final class ClientFacts {
    /** The client's version and whether {@code docker buildx version} succeeded with it. */
    record Facts(String version, boolean buildx) {
    }

    private static final int MAX_ENTRIES = 64;

    private final Path file; // null: no cache directory

    private ClientFacts(Path file) {
        this.file = file;
    }

    /** The cache of this user: {@code $XDG_CACHE_HOME/polyarch}, else {@code ~/.cache/polyarch}. */
    static ClientFacts of(Map<String, String> env) {
        String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
        String home = env.getOrDefault("HOME", "");
        Path dir = !xdg.isEmpty() ? Path.of(xdg, "polyarch") : !home.isEmpty() ? Path.of(home, ".cache", "polyarch") : null;
        return new ClientFacts(dir == null ? null : dir.resolve("docker-clients.tsv"));
    }

    /**
     * The identity of what decides {@code bin}'s answers with {@code env}: the binary PATH gives for it and the
     * buildx plugin the client would load; empty when it cannot be told here (not Linux, plugin directories the
     * client config adds, a binary not found).
     */
    static Optional<String> key(String bin, Map<String, String> env, Platform host) {
        return key(bin, env, host, ClientLookup.onLinux(host) ? ClientLookup.buildxPlugin(env) : Optional.empty());
    }

    /** As {@link #key(String, Map, Platform)}, with the buildx plugin as {@link ClientLookup#buildxPlugin} found it. */
    static Optional<String> key(String bin, Map<String, String> env, Platform host, Optional<Optional<Path>> plugin) {
        if (!ClientLookup.onLinux(host) || plugin.isEmpty()) return Optional.empty();
        Optional<Path> binary = ClientLookup.resolve(bin, env);
        if (binary.isEmpty()) return Optional.empty();
        try {
            return Optional.of(identity(binary.get()) + " buildx=" + (plugin.get().isPresent() ? identity(plugin.get().get()) : "none"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String identity(Path p) throws IOException {
        Path real = p.toRealPath();
        BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
        return real + "@" + a.size() + ":" + a.lastModifiedTime().toMillis();
    }

    Optional<Facts> get(String key) {
        String[] e = read().get(key);
        return e == null ? Optional.empty() : Optional.of(new Facts(e[0], Boolean.parseBoolean(e[1])));
    }

    /** Remembers {@code f} for {@code key}; the oldest entries go beyond {@value #MAX_ENTRIES}. */
    void put(String key, Facts f) {
        if (file == null || !plain(key) || !plain(f.version())) return;
        Map<String, String[]> all = read();
        all.remove(key);
        all.put(key, new String[]{f.version(), String.valueOf(f.buildx())});
        for (Iterator<String> names = all.keySet().iterator(); all.size() > MAX_ENTRIES && names.hasNext(); ) {
            names.next();
            names.remove();
        }
        StringBuilder text = new StringBuilder();
        all.forEach((k, v) -> text.append(k).append('\t').append(v[0]).append('\t').append(v[1]).append('\n'));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".docker-clients", ".tmp");
            try {
                Files.writeString(tmp, text);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e2) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException ignored) {
            // a read-only home: the client is asked again next time
        }
    }

    /** A field the tab-separated lines can hold. */
    private static boolean plain(String s) {
        return s.indexOf('\t') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0;
    }

    /** Every entry, oldest first: one line each, {@code key TAB version TAB buildx}. */
    private Map<String, String[]> read() {
        Map<String, String[]> out = new LinkedHashMap<>();
        if (file == null || !Files.isRegularFile(file)) return out;
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split("\t", -1);
                if (f.length == 3 && (f[2].equals("true") || f[2].equals("false"))) out.put(f[0], new String[]{f[1], f[2]});
            }
        } catch (IOException | RuntimeException e) {
            out.clear(); // unreadable: as if empty, and rewritten by the next put
        }
        return out;
    }
}
