package io.polyarch.pipeline.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The one rule for which config file a command reads, whichever command it is ({@code run}, {@code plan},
 * {@code aws}, {@code export}): the file given with {@code -c} (it must exist), else the first of
 * {@link #NAMES} in the repository's root directory, else none (flags and defaults only).
 */
public final class ConfigFiles {
    /** Looked for in this order: polyarch's own names, then a MakeOps {@code values.yaml}. */
    public static final List<String> NAMES = List.of("polyarch.yaml", "polyarch.yml", "values.yaml");

    private ConfigFiles() {
    }

    /**
     * @param given    the {@code -c} argument (relative to {@code cwd}), or null
     * @param cwd      where a relative {@code -c} is taken from
     * @param root     the repository root, where the file is looked for when none is given
     */
    public static Optional<Path> find(String given, Path cwd, Path root) throws ConfigException {
        if (given != null) {
            Path p = cwd.resolve(given);
            if (!Files.isRegularFile(p)) throw new ConfigException("-c " + given + ": no such config file; create it, or give another -c FILE");
            return Optional.of(p);
        }
        for (String n : NAMES) {
            if (Files.isRegularFile(root.resolve(n))) return Optional.of(root.resolve(n));
        }
        return Optional.empty();
    }

    /** The config's path as the repository's jobs find it: relative to the root when inside it, else its file name. */
    public static String inRepo(Path file, Path root) {
        Path abs = file.toAbsolutePath().normalize();
        Path r = root.toAbsolutePath().normalize();
        return abs.startsWith(r) ? r.relativize(abs).toString().replace('\\', '/') : abs.getFileName().toString();
    }
}
