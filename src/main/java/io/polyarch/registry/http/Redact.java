package io.polyarch.registry.http;

import java.net.URI;
import java.util.regex.Pattern;

/** Removes secrets from text that may reach a log, an error message or JSON output. */
public final class Redact {
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+");
    private static final Pattern TOKEN_JSON = Pattern.compile("(?i)\"(token|access_token|refresh_token|password|secret|identitytoken|auth)\"\\s*:\\s*\"[^\"]*\"");
    private static final Pattern QUERY_SECRET = Pattern.compile("(?i)([?&](?:_state|x-amz-signature|x-amz-credential|x-amz-security-token|signature|token|sig)=)[^&\\s]*");

    private Redact() {
    }

    /** A URI without its query string and user info: upload locations and presigned URLs carry secrets there. */
    public static String uri(URI u) {
        if (u == null) return "";
        String s = u.getScheme() + "://" + u.getRawAuthority() + (u.getRawPath() == null ? "" : u.getRawPath());
        int at = s.indexOf('@');
        if (at > 0 && at < s.indexOf('/', s.indexOf("://") + 3)) s = u.getScheme() + "://" + s.substring(at + 1);
        return s;
    }

    /**
     * {@code s} with tokens and secrets removed, and terminal control characters (escape sequences a registry's error
     * body or a tar entry's name could carry to clear the screen or set the title) shown as {@code ?}; newlines and
     * tabs stay.
     */
    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]");

    public static String text(String s) {
        if (s == null) return null;
        s = CONTROL.matcher(s).replaceAll("?");
        s = BEARER.matcher(s).replaceAll("$1 [redacted]");
        s = TOKEN_JSON.matcher(s).replaceAll("\"$1\":\"[redacted]\"");
        return QUERY_SECRET.matcher(s).replaceAll("$1[redacted]");
    }
}
