package io.polyarch.registry.auth;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed {@code WWW-Authenticate} challenge (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"}.
 */
public record Challenge(String scheme, Map<String, String> params) {
    public Challenge {
        scheme = scheme.toLowerCase(Locale.ROOT);
        params = Map.copyOf(params);
    }

    public Optional<String> param(String name) {
        return Optional.ofNullable(params.get(name));
    }

    /** Parses the first Basic or Bearer challenge in the header values. */
    public static Optional<Challenge> parse(List<String> headerValues) {
        for (String v : headerValues) {
            Optional<Challenge> c = parseOne(v);
            if (c.isPresent()) return c;
        }
        return Optional.empty();
    }

    static Optional<Challenge> parseOne(String header) {
        if (header == null) return Optional.empty();
        String h = header.trim();
        int sp = h.indexOf(' ');
        String scheme = sp < 0 ? h : h.substring(0, sp);
        if (!scheme.equalsIgnoreCase("bearer") && !scheme.equalsIgnoreCase("basic")) return Optional.empty();
        Map<String, String> params = new LinkedHashMap<>();
        int i = sp < 0 ? h.length() : sp + 1;
        while (i < h.length()) {
            while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) i++;
            int eq = h.indexOf('=', i);
            if (eq < 0) break;
            String key = h.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            StringBuilder val = new StringBuilder();
            if (i < h.length() && h.charAt(i) == '"') {
                i++;
                while (i < h.length() && h.charAt(i) != '"') {
                    if (h.charAt(i) == '\\' && i + 1 < h.length()) i++;
                    val.append(h.charAt(i++));
                }
                i++;
            } else {
                while (i < h.length() && h.charAt(i) != ',') val.append(h.charAt(i++));
            }
            params.put(key, val.toString().trim());
        }
        return Optional.of(new Challenge(scheme, params));
    }
}
