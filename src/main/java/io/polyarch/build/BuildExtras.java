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

    /** A build secret: its id and the file that holds it (one polyarch wrote, mode 0600, for a secret from the environment). */
    public record Secret(String id, Path file) {
        @Override
        public String toString() {
            return "secret " + id; // never the content, and not the file either
        }
    }

    /** The flags for docker build, buildx build and buildah build alike. */
    public List<String> flags() {
        List<String> out = new java.util.ArrayList<>();
        if (noCache) out.add("--no-cache");
        if (network != null && !network.equals("default")) out.addAll(List.of("--network", network));
        for (Secret s : secrets) out.addAll(List.of("--secret", "id=" + s.id() + ",src=" + s.file()));
        for (String s : ssh) out.addAll(List.of("--ssh", s));
        return out;
    }
}
