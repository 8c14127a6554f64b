package io.polyarch.registry.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.random.RandomGenerator;

/**
 * Retries idempotent requests on 429, 5xx and dropped connections with backoff and jitter, honouring
 * Retry-After. A non-idempotent request (a blob upload's PUT) is never sent twice here.
 */
public final class RetryTransport implements Transport {
    private final Transport inner;
    private final RetryPolicy policy;
    private final RandomGenerator random;
    private final Sleeper sleeper;

    /** Waits; a seam so tests can check the delays without spending them. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public RetryTransport(Transport inner, RetryPolicy policy) {
        this(inner, policy, RandomGenerator.getDefault(), d -> Thread.sleep(d.toMillis()));
    }

    public RetryTransport(Transport inner, RetryPolicy policy, RandomGenerator random, Sleeper sleeper) {
        this.inner = inner;
        this.policy = policy;
        this.random = random;
        this.sleeper = sleeper;
    }

    @Override
    public Response send(Request request) throws IOException, InterruptedException {
        int attempt = 1;
        while (true) {
            Response r;
            try {
                r = inner.send(request);
            } catch (IOException e) {
                boolean retry = request.idempotent() || e instanceof ConnectException;
                if (!retry || e instanceof HttpTimeoutException && !request.idempotent() || attempt >= policy.maxAttempts()) throw e;
                sleeper.sleep(policy.backoff(attempt, random));
                attempt++;
                continue;
            }
            if (!RetryPolicy.retryableStatus(r.status()) || !request.idempotent() || attempt >= policy.maxAttempts()) return r;
            Duration wait = retryAfter(r).orElse(policy.backoff(attempt, random));
            r.close();
            if (wait.compareTo(policy.maxDelay()) > 0) wait = policy.maxDelay();
            sleeper.sleep(wait);
            attempt++;
        }
    }

    static java.util.Optional<Duration> retryAfter(Response r) {
        return r.header("Retry-After").flatMap(v -> {
            try {
                return java.util.Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v.trim()))));
            } catch (NumberFormatException e) {
                try {
                    ZonedDateTime when = ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                    Duration d = Duration.between(ZonedDateTime.now(when.getZone()), when);
                    return java.util.Optional.of(d.isNegative() ? Duration.ZERO : d);
                } catch (RuntimeException ignored) {
                    return java.util.Optional.empty();
                }
            }
        });
    }
}
