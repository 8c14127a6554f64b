package io.polyarch.registry.http;

import java.time.Duration;

/**
 * How often and how patiently to retry: exponential backoff from {@code baseDelay} capped at
 * {@code maxDelay}, with full jitter, and a server's Retry-After honoured up to {@code maxDelay}.
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10));
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
    }

    /** Delay before attempt {@code attempt + 1} (attempt counts from 1). */
    public Duration backoff(int attempt, java.util.random.RandomGenerator random) {
        long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() * (1L << Math.min(attempt - 1, 20)));
        return Duration.ofMillis(cap <= 0 ? 0 : cap / 2 + random.nextLong(cap / 2 + 1));
    }

    public static boolean retryableStatus(int status) {
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }
}
