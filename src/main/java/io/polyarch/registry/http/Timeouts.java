package io.polyarch.registry.http;

import java.time.Duration;

/**
 * How long registry traffic may take, so that no server holds a run forever: {@code connect} to open a connection,
 * {@code idle} for any read to bring a byte (a stalled server), and for a whole response body
 * {@code base + length / minBytesPerSecond} (a server that trickles a byte every few seconds). Defaults: 10 s, 60 s,
 * 60 s + 64 KiB/s (a 1 GiB layer may take 4.5 hours; a manifest, a minute).
 */
public record Timeouts(Duration connect, Duration idle, Duration base, long minBytesPerSecond) {
    public Timeouts {
        if (connect.isNegative() || connect.isZero() || idle.isNegative() || idle.isZero() || base.isNegative() || minBytesPerSecond < 1) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static Timeouts defaults() {
        return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(60), 64 << 10);
    }

    /** The time a body of {@code length} bytes (unknown: -1) may take from the response's start. */
    public Duration bodyDeadline(long length) {
        return base.plusSeconds(Math.max(0, length) / minBytesPerSecond);
    }
}
