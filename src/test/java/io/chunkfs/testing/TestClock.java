package io.chunkfs.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that stands still until a test moves it, in nanoseconds since the epoch (UTC). Thread-safe. */
public final class TestClock extends Clock {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final AtomicLong nanos;

    public TestClock(long nanos) {
        this.nanos = new AtomicLong(nanos);
    }

    /** The time it shows, in nanoseconds since the epoch. */
    public long nanos() {
        return nanos.get();
    }

    /** Moves it on by {@code step}; returns the new time in nanoseconds since the epoch. */
    public long advance(Duration step) {
        return nanos.addAndGet(step.toNanos());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone)) {
            throw new UnsupportedOperationException("a test clock keeps UTC");
        }
        return this;
    }

    @Override
    public Instant instant() {
        long now = nanos.get();
        return Instant.ofEpochSecond(Math.floorDiv(now, NANOS_PER_SECOND), Math.floorMod(now, NANOS_PER_SECOND));
    }
}
