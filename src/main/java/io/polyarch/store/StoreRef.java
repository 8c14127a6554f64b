package io.polyarch.store;

import io.polyarch.oci.Digest;
import io.polyarch.oci.Reference;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where content lives and which manifest is meant: a registry reference ({@code host/repo:tag}) or an OCI
 * image layout directory ({@code oci:DIR}, {@code oci:DIR:tag}, {@code oci:DIR@sha256:…}), the same
 * {@code oci:} transport syntax skopeo uses.
 */
public sealed interface StoreRef permits StoreRef.Registry, StoreRef.Layout {
    Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    /** The tag named, or null. */
    String tag();

    /** The digest named, or null. */
    Digest digest();

    /** Tag or digest to resolve: the digest wins; a bare reference means "latest". */
    default String identifier() {
        return digest() != null ? digest().toString() : tag() != null ? tag() : "latest";
    }

    StoreRef withTag(String tag);

    /** Same repository or directory: blobs there need no copy. */
    boolean sameLocation(StoreRef other);

    record Registry(Reference reference) implements StoreRef {
        @Override
        public String tag() {
            return reference.tag();
        }

        @Override
        public Digest digest() {
            return reference.digest();
        }

        @Override
        public StoreRef withTag(String tag) {
            return new Registry(reference.withTag(tag));
        }

        @Override
        public boolean sameLocation(StoreRef other) {
            return other instanceof Registry r && r.reference.sameRepository(reference);
        }

        @Override
        public String toString() {
            return reference.toString();
        }
    }

    record Layout(Path dir, String tag, Digest digest) implements StoreRef {
        @Override
        public StoreRef withTag(String t) {
            return new Layout(dir, t, null);
        }

        @Override
        public boolean sameLocation(StoreRef other) {
            return other instanceof Layout l && l.dir.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize());
        }

        @Override
        public String toString() {
            return "oci:" + dir + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
        }
    }

    /** Parses either form; throws {@link IllegalArgumentException} naming the input. */
    static StoreRef parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty reference");
        if (text.startsWith("oci:")) {
            String rest = text.substring(4);
            Digest digest = null;
            String tag = null;
            int at = rest.lastIndexOf('@');
            if (at >= 0 && rest.startsWith("sha", at + 1)) {
                try {
                    digest = Digest.parse(rest.substring(at + 1));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("invalid reference '" + text + "': " + e.getMessage());
                }
                rest = rest.substring(0, at);
            } else {
                int colon = rest.lastIndexOf(':');
                if (colon >= 0 && rest.indexOf('/', colon) < 0) {
                    tag = rest.substring(colon + 1);
                    rest = rest.substring(0, colon);
                    if (!TAG.matcher(tag).matches()) {
                        throw new IllegalArgumentException("invalid reference '" + text + "': invalid tag '" + tag + "'");
                    }
                }
            }
            if (rest.isEmpty()) throw new IllegalArgumentException("invalid reference '" + text + "': oci: needs a directory, e.g. oci:./out:latest");
            return new Layout(Path.of(rest), tag, digest);
        }
        if (text.startsWith("docker://")) return new Registry(Reference.parse(text.substring(9)));
        return new Registry(Reference.parse(text));
    }
}
