package io.chunkfs.store.s3;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A ceiling on requests per second, for providers that answer a burst with 503 SlowDown or 403: each request
 * takes the next free slot, waiting for it if it lies ahead. Zero means no ceiling.
 */
final class RequestRate {
    private final long intervalNanos;
    /** When the next request may go, in {@link System#nanoTime} terms. */
    private long nextSlot;

    RequestRate(double perSecond) {
        this.intervalNanos = perSecond <= 0 ? 0 : (long) (TimeUnit.SECONDS.toNanos(1) / perSecond);
        this.nextSlot = System.nanoTime();
    }

    void acquire() {
        if (intervalNanos == 0) {
            return;
        }
        long slot;
        synchronized (this) {
            long now = System.nanoTime();
            slot = Math.max(nextSlot, now);
            nextSlot = slot + intervalNanos;
        }
        for (long wait; (wait = slot - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(wait);
        }
    }
}
