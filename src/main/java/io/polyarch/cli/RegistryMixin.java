package io.polyarch.cli;

import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Progress;
import io.polyarch.ops.Stores;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.registry.auth.DockerConfigCredentials;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/** Options every command that talks to registries shares. */
public final class RegistryMixin {
    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "Allow plain HTTP and unverified TLS for this registry (repeatable). Loopback registries are always allowed.")
    List<String> insecure = new ArrayList<>();

    @Option(names = "--insecure", description = "Allow plain HTTP and unverified TLS for every registry named.")
    boolean insecureAll;

    @Option(names = "--username", description = "Registry username (with --password-stdin); otherwise REGISTRY_AUTH_FILE and ~/.docker/config.json are used.")
    String username;

    @Option(names = "--password-stdin", description = "Read the registry password or token from standard input.")
    boolean passwordStdin;

    @Option(names = {"-j", "--jobs"}, defaultValue = "4", description = "Blobs transferred at once (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--chunk-size", paramLabel = "BYTES", defaultValue = "0",
            description = "Upload blobs larger than this in chunks of this size (0: one request per blob).")
    long chunkSize;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Option(names = {"-q", "--quiet"}, description = "Print only results, no progress.")
    boolean quiet;

    Stores stores(Context ctx, java.io.InputStream stdin) throws InvalidInputException {
        return stores(ctx, stdin, null);
    }

    /** With {@code first} asked before every other source of credentials (ECR's token for its registry). */
    Stores stores(Context ctx, java.io.InputStream stdin, CredentialProvider first) throws InvalidInputException {
        ctx.debug(debug);
        if (jobs < 1 || jobs > 64) throw new InvalidInputException("--jobs must be between 1 and 64, got " + jobs);
        if (chunkSize < 0) throw new InvalidInputException("--chunk-size must not be negative");
        var hosts = new HashSet<>(insecure);
        if (insecureAll) hosts.add("*");
        RegistryOptions opts = RegistryOptions.defaults().withInsecure(hosts).withJobs(jobs).withChunkSize(chunkSize)
                .withTimeouts(timeouts(ctx));
        CredentialProvider creds = credentials(ctx, stdin);
        return Stores.of(new Registries(opts, first == null ? creds : CredentialProvider.firstOf(List.of(first, creds))));
    }

    Progress progress(Context ctx) {
        return quiet ? Progress.NONE : m -> ctx.err.println(m);
    }

    private CredentialProvider credentials(Context ctx, java.io.InputStream stdin) throws InvalidInputException {
        List<CredentialProvider> chain = new ArrayList<>();
        if (passwordStdin || username != null) {
            if (username == null || !passwordStdin) {
                throw new InvalidInputException("--username and --password-stdin go together (the password is never taken as an argument)");
            }
            String password;
            try {
                password = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                throw new InvalidInputException("cannot read the password from standard input: " + e.getMessage());
            }
            if (password == null || password.isEmpty()) throw new InvalidInputException("--password-stdin: standard input was empty");
            // as docker login --password-stdin: the trailing newline goes, any other whitespace is part of the password
            Credentials c = new Credentials(username, password.replaceFirst("\r?\n$", ""));
            chain.add(r -> Optional.of(c));
        }
        String authFile = ctx.env.get("REGISTRY_AUTH_FILE");
        if (authFile != null && !authFile.isBlank()) chain.add(new DockerConfigCredentials(Path.of(authFile)));
        chain.add(new DockerConfigCredentials(DockerConfigCredentials.defaultLocation(ctx.env,
                Path.of(ctx.env.getOrDefault("HOME", System.getProperty("user.home"))))));
        return CredentialProvider.firstOf(chain);
    }

    /**
     * {@code POLYARCH_REGISTRY_IDLE_TIMEOUT} (seconds a read may wait for a byte, default 60) and
     * {@code POLYARCH_REGISTRY_MIN_RATE} (bytes per second a response body must average after its first 60 s,
     * default 65536).
     */
    static io.polyarch.registry.http.Timeouts timeouts(Context ctx) throws InvalidInputException {
        var d = io.polyarch.registry.http.Timeouts.defaults();
        java.time.Duration idle = d.idle();
        long rate = d.minBytesPerSecond();
        String idleText = ctx.env.get("POLYARCH_REGISTRY_IDLE_TIMEOUT");
        String rateText = ctx.env.get("POLYARCH_REGISTRY_MIN_RATE");
        try {
            if (idleText != null) idle = java.time.Duration.ofSeconds(Long.parseLong(idleText.strip()));
            if (rateText != null) rate = Long.parseLong(rateText.strip());
            return new io.polyarch.registry.http.Timeouts(d.connect(), idle, d.base(), rate);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("POLYARCH_REGISTRY_IDLE_TIMEOUT / POLYARCH_REGISTRY_MIN_RATE: expected a positive whole number ("
                    + (idleText != null ? "idle " + idleText : "") + (rateText != null ? " rate " + rateText : "") + ")");
        }
    }
}
