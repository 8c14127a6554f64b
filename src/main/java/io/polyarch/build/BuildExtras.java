package io.polyarch.build;

import java.nio.file.Path;
import java.util.List;

/**
 * The build options docker buildx users pass on the command line: {@code --no-cache}, {@code --network} and
 * {@code --secret} (a file the build's {@code RUN --mount=type=secret,id=ID} reads; it reaches no layer, log,
 * summary, provenance or build key).
 *
 * @param network {@code default}, {@code none} or {@code host}; null for the engine's default
 * @param ssh     {@code --ssh} values: {@code default} (the agent at {@code SSH_AUTH_SOCK}) or {@code ID=PATH} (a socket or key)
 */
public record BuildExtras(boolean noCache, String network, List<Secret> secrets, List<String> ssh) {
    public static final BuildExtras NONE = new BuildExtras(false, null, List.of(), List.of());
    public static final List<String> NETWORKS = List.of("default", "none", "host");

    public BuildExtras {
        secrets = List.copyOf(secrets);
        ssh = ssh == null ? List.of() : List.copyOf(ssh);
    }

    public BuildExtras(boolean noCache, String network, List<Secret> secrets) {
        this(noCache, network, secrets, List.of());
    }

    /**
     * A build secret: its id and the file that holds it, or its value (from the environment) until
     * {@link #withSecretFiles} writes it to a file of the run's own.
     */
    public record Secret(String id, Path file, String value) {
        public static Secret ofFile(String id, Path file) {
            return new Secret(id, file, null);
        }

        public static Secret ofValue(String id, String value) {
            return new Secret(id, null, value);
        }

        @Override
        public String toString() {
            return "secret " + id; // never the content, and not the file either
        }
    }

    /**
     * The same options with every secret that came as a value written to {@code dir/ID} (mode 0600; {@code dir} is made
     * 0700): the run's scratch, removed with it when the run ends.
     */
    public BuildExtras withSecretFiles(Path dir) throws java.io.IOException {
        if (secrets.stream().allMatch(s -> s.value() == null)) return this;
        java.nio.file.Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        List<Secret> out = new java.util.ArrayList<>();
        for (Secret s : secrets) {
            if (s.value() == null) {
                out.add(s);
                continue;
            }
            Path f = java.nio.file.Files.createFile(dir.resolve(s.id()), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            java.nio.file.Files.writeString(f, s.value(), java.nio.charset.StandardCharsets.UTF_8);
            out.add(Secret.ofFile(s.id(), f));
        }
        return new BuildExtras(noCache, network, out, ssh);
    }

    /** The flags for docker build, buildx build and buildah build alike (secrets already written to files). */
    public List<String> flags() {
        List<String> out = new java.util.ArrayList<>();
        if (noCache) out.add("--no-cache");
        if (network != null && !network.equals("default")) out.addAll(List.of("--network", network));
        for (Secret s : secrets) {
            if (s.file() == null) throw new IllegalStateException("secret " + s.id() + " has not been written to a file (withSecretFiles)");
            out.addAll(List.of("--secret", "id=" + s.id() + ",src=" + s.file()));
        }
        for (String s : ssh) out.addAll(List.of("--ssh", s));
        return out;
    }
}
