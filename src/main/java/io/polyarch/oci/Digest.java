package io.polyarch.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm:hex}, as defined by the OCI image spec
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests">descriptor.md#digests</a>).
 * Only sha256 and sha512 are accepted: those are what registries verify.
 *
 * <pre>sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b</pre>
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        if (!("sha256".equals(algorithm) && SHA256.matcher(hex).matches())
                && !("sha512".equals(algorithm) && SHA512.matcher(hex).matches())) {
            throw new IllegalArgumentException("invalid digest '" + algorithm + ":" + hex
                    + "': expected sha256: followed by 64 lowercase hex characters");
        }
    }

    /** Parses {@code sha256:<64 hex>}; throws {@link IllegalArgumentException} naming the bad value. */
    public static Digest parse(String value) {
        if (value == null) throw new IllegalArgumentException("digest is missing");
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid digest '" + value + "': expected sha256:<64 hex characters>");
        }
        return new Digest(value.substring(0, colon), value.substring(colon + 1));
    }

    public static Digest sha256(byte[] content) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(content)));
    }

    public static Digest ofSha256(MessageDigest finished) {
        return new Digest("sha256", HexFormat.of().formatHex(finished.digest()));
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public MessageDigest newHasher() {
        try {
            return MessageDigest.getInstance("sha256".equals(algorithm) ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first 12 hex characters, as docker prints them. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }
}
