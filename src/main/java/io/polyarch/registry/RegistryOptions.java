package io.polyarch.registry;

import io.polyarch.registry.http.RetryPolicy;
import io.polyarch.registry.http.Timeouts;

import java.time.Duration;
import java.util.Set;

/**
 * How to talk to registries.
 *
 * @param insecureHosts   hosts (host[:port]) reached over plain HTTP or unverified TLS; loopback hosts always are
 * @param retry           retry policy for idempotent requests and whole blob uploads
 * @param timeouts        connect, idle and whole-body limits ({@link Timeouts})
 * @param chunkSize       upload blobs larger than this in PATCH chunks of this size; 0 uploads in one PUT
 * @param maxManifestBytes manifests larger than this are refused (distribution's own limit is 4 MiB)
 * @param jobs            blobs transferred at once
 */
public record RegistryOptions(Set<String> insecureHosts, String userAgent, RetryPolicy retry, Timeouts timeouts,
                              long chunkSize, int maxManifestBytes, int jobs) {
    public RegistryOptions {
        insecureHosts = Set.copyOf(insecureHosts);
        if (jobs < 1) throw new IllegalArgumentException("jobs must be at least 1");
    }

    public static RegistryOptions defaults() {
        return new RegistryOptions(Set.of(), "polyarch/" + version(), RetryPolicy.DEFAULT, Timeouts.defaults(),
                0, 4 * 1024 * 1024, 4);
    }

    public RegistryOptions withInsecure(Set<String> hosts) {
        return new RegistryOptions(hosts, userAgent, retry, timeouts, chunkSize, maxManifestBytes, jobs);
    }

    public RegistryOptions withRetry(RetryPolicy r) {
        return new RegistryOptions(insecureHosts, userAgent, r, timeouts, chunkSize, maxManifestBytes, jobs);
    }

    public RegistryOptions withChunkSize(long c) {
        return new RegistryOptions(insecureHosts, userAgent, retry, timeouts, c, maxManifestBytes, jobs);
    }

    public RegistryOptions withTimeouts(Timeouts t) {
        return new RegistryOptions(insecureHosts, userAgent, retry, t, chunkSize, maxManifestBytes, jobs);
    }

    public RegistryOptions withJobs(int j) {
        return new RegistryOptions(insecureHosts, userAgent, retry, timeouts, chunkSize, maxManifestBytes, j);
    }

    /** 127.0.0.0/8 written as an address, not a host name that merely starts with "127." ({@code 127.evil.example}). */
    private static final java.util.regex.Pattern LOOPBACK_V4 = java.util.regex.Pattern.compile("127(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    /** Loopback registries are local by construction, so plain HTTP is allowed there as docker allows it. */
    public boolean insecure(String registry) {
        if (insecureHosts.contains(registry) || insecureHosts.contains("*")) return true;
        String host = registry.startsWith("[") ? registry.substring(1, registry.indexOf(']'))
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        return host.equals("localhost") || host.equals("::1") || LOOPBACK_V4.matcher(host).matches();
    }

    public static String version() {
        String v = RegistryOptions.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
