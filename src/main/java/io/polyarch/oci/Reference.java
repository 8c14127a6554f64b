package io.polyarch.oci;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A registry image reference, parsed with Docker's grammar
 * (<a href="https://github.com/distribution/reference/blob/main/reference.go">distribution/reference</a>):
 * {@code alpine} is {@code docker.io/library/alpine:latest}; {@code host:5000/a/b:t}; {@code repo@sha256:…}.
 * A reference may carry a tag, a digest, both, or neither (then {@link #tagOrDefault()} is "latest").
 */
public record Reference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
                    + "|\\[[0-9a-fA-F:.]+\\](?::[0-9]+)?");

    public Reference {
        if (registry == null || registry.isEmpty()) throw new IllegalArgumentException("reference has no registry");
        if (repository == null || repository.isEmpty()) throw new IllegalArgumentException("reference has no repository");
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid tag '" + tag + "': a tag is up to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }
    }

    /** Parses a reference; the message of the exception names the input and what is wrong with it. */
    public static Reference parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty image reference");
        String s = text.trim();
        if (s.contains("://")) {
            throw new IllegalArgumentException("invalid reference '" + text + "': give host/repository[:tag] without a scheme (no http://)");
        }
        Digest digest = null;
        int at = s.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(s.substring(at + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid reference '" + text + "': " + e.getMessage());
            }
            s = s.substring(0, at);
        }
        String tag = null;
        int lastSlash = s.lastIndexOf('/');
        int lastColon = s.lastIndexOf(':');
        if (lastColon > lastSlash) {
            tag = s.substring(lastColon + 1);
            s = s.substring(0, lastColon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid reference '" + text + "': invalid tag '" + tag
                        + "' (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
            }
        }
        String registry;
        String path;
        int slash = s.indexOf('/');
        String first = slash < 0 ? s : s.substring(0, slash);
        if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("["))) {
            registry = first;
            path = s.substring(slash + 1);
            if (!DOMAIN.matcher(registry).matches()) {
                throw new IllegalArgumentException("invalid reference '" + text + "': invalid registry host '" + registry + "'");
            }
        } else {
            registry = DOCKER_HUB;
            path = s;
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) registry = DOCKER_HUB;
        if (registry.equals(DOCKER_HUB) && !path.contains("/")) path = "library/" + path;
        if (path.isEmpty()) throw new IllegalArgumentException("invalid reference '" + text + "': no repository name");
        if (!path.equals(path.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("invalid reference '" + text + "': repository name must be lowercase");
        }
        for (String c : path.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) {
                throw new IllegalArgumentException("invalid reference '" + text + "': invalid repository path component '" + c
                        + "' (lowercase letters and digits, separated by '.', '_', '__' or '-')");
            }
        }
        if (registry.length() + 1 + path.length() > 255) {
            throw new IllegalArgumentException("invalid reference '" + text + "': repository name longer than 255 characters");
        }
        return new Reference(registry, path, tag, digest);
    }

    /** Tag or digest as used in a manifests URL: the digest wins when both are given. */
    public String identifier() {
        return digest != null ? digest.toString() : tagOrDefault();
    }

    public String tagOrDefault() {
        return tag != null ? tag : "latest";
    }

    public Reference withTag(String t) {
        return new Reference(registry, repository, t, null);
    }

    public Reference withDigest(Digest d) {
        return new Reference(registry, repository, null, d);
    }

    public Reference repositoryOnly() {
        return new Reference(registry, repository, null, null);
    }

    /** The host:port to talk HTTP to (Docker Hub's API host differs from its name). */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    public boolean sameRepository(Reference o) {
        return registry.equals(o.registry) && repository.equals(o.repository);
    }

    /** registry/repository, no tag. */
    public String name() {
        return registry + "/" + repository;
    }

    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
