package io.polyarch.registry.auth;

/**
 * A username and secret (password or token), or an identity token for the OAuth2 refresh flow.
 * {@link #toString()} never shows the secret.
 */
public record Credentials(String username, String secret, String identityToken) {
    public Credentials(String username, String secret) {
        this(username, secret, null);
    }

    public boolean hasIdentityToken() {
        return identityToken != null && !identityToken.isEmpty();
    }

    public String basicHeader() {
        return "Basic " + java.util.Base64.getEncoder().encodeToString(
                (username + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[" + username + ", secret=[redacted]]";
    }
}
