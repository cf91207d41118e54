package io.chunkfs.store.s3;

import io.chunkfs.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A lease object in the bucket, held by one {@code holder} at a time and renewed by a background thread while
 * held. The holder names a host and a store folder for people to read, and ends in an id drawn when the lease
 * was first taken, which nothing copies (a cloned VM or a copy of the store folder draws its own): holders are
 * told apart by that string, never by host name or path.
 *
 * <p><b>Taking it.</b> A free lease (no object) is written with {@code If-None-Match: *}. A lease naming this
 * holder is joined (the processes of one store folder share a holder, {@link LeaseMembers}). A lease naming
 * another holder is watched: if its object changes (its holder renewed it) the open is refused; if it stays as
 * it is for the whole duration it states (by this process's monotonic clock, whatever the wall clocks say), or for
 * half of it and past its expiry by the wall clock, its holder is gone and the lease is taken over. One that
 * expired longer ago than its duration by the wall clock is taken at once. Every write is followed by a re-read:
 * a second holder that wrote meanwhile is seen, and a takeover waits a moment before that re-read, so that of two
 * takers the first one to write sees the second.
 * Conditional writes are not trusted to be atomic (S3Proxy's file system store does HEAD then PUT).
 *
 * <p><b>Acting on it.</b> The lease is valid until (start of the last successful write + duration − margin),
 * by {@link System#nanoTime} and, as a second condition, by the wall clock. Every acknowledgement and every
 * delete calls {@link #check} first; the renewal thread alone would not stop a process that was paused (SIGSTOP,
 * a suspended VM) past its lease and resumes with requests in flight. A write that took longer than the margin
 * (a pause in the middle of it) does not count.
 *
 * <p><b>Losing it.</b> A renewal that finds another holder's name in the object loses the lease for good: this
 * instance never takes it again (reopen the store). A lease that lapsed without anyone else writing (renewals
 * failed, or this process was paused) is taken again as a newcomer would: once its object has stayed unchanged
 * for a whole duration.
 *
 * <p>The object's text is {@code holder\nexpiry-epoch-millis\nduration-millis\n}; releases before this one wrote
 * the first two lines only, and read only those.
 */
final class S3Lease implements Closeable {
    private static final Logger LOG = Logger.getLogger(S3Lease.class.getName());
    /** The longest a stated duration is believed (a damaged or hostile lease object waits no longer). */
    private static final long LONGEST_WATCH_MILLIS = Duration.ofMinutes(10).toMillis();

    private final S3Objects objects;
    private final String key;
    private final String holder;
    private final String what;
    private final Clock clock;
    private final long ttlNanos;
    private final long marginNanos;
    private final long periodNanos;
    private final long settleNanos;
    private final ScheduledExecutorService renewal;
    private final Object changes = new Object();

    /** The monotonic instant until which this process may act; only meaningful once {@link #held}. */
    private volatile long validUntilNanos;
    /** The same bound by the wall clock (epoch millis): a suspended VM's monotonic clock may not count the pause. */
    private volatile long validUntilMillis;

    private volatile boolean held;
    /** Why the lease is lost for good (another holder wrote it), or null. */
    private volatile String lost;

    private volatile boolean closed;
    /** Renewals do nothing, as in a process whose renewal thread does not run (tests). */
    private volatile boolean renewalPaused;
    /** A renewal asked for by {@link #check} is queued: checks waiting together share it. */
    private final java.util.concurrent.atomic.AtomicBoolean renewalAsked =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** What this instance last wrote (renewal thread, or the opening thread before it starts). */
    private String lastWritten;
    /** While lapsed: the object's text first seen unchanged, and since when (monotonic). Renewal thread only. */
    private String watched;

    private long watchedSince;

    private S3Lease(S3Objects objects, String key, String holder, Duration ttl, Clock clock, String what) {
        this.objects = objects;
        this.key = key;
        this.holder = holder;
        this.what = what;
        this.clock = clock;
        this.ttlNanos = ttl.toNanos();
        this.periodNanos = Math.max(1, ttlNanos / 4);
        this.marginNanos = Math.max(1, ttlNanos / 4);
        this.settleNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(500), marginNanos / 4);
        this.renewal = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "chunkfs-s3-lease");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Takes the lease at {@code key} for {@code holder}, waiting while another holder's lease may still be live
     * (at most the duration it states), or throws if that holder renews it meanwhile.
     *
     * @param ttl  how long the lease lasts without renewal; renewed every quarter of it, and acted on until a
     *             quarter before it ends
     * @param what what the lease is for, in messages
     */
    static S3Lease take(S3Objects objects, String key, String holder, Duration ttl, Clock clock, String what)
            throws IOException {
        S3Lease lease = new S3Lease(objects, key, holder, ttl, clock, what);
        try {
            lease.acquire();
        } catch (IOException | RuntimeException e) {
            lease.renewal.shutdownNow();
            throw e;
        }
        lease.renewal.scheduleWithFixedDelay(lease::renew, lease.periodNanos, lease.periodNanos, TimeUnit.NANOSECONDS);
        return lease;
    }

    /** A fresh id for a holder: 16 random hex digits. */
    static String newId() {
        byte[] bytes = new byte[8];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    /** What the lease object says. */
    private record Found(String text, String holder, Instant expiry, long durationMillis) {}

    private Found read() throws IOException {
        byte[] bytes = objects.getBytes(key);
        if (bytes == null) {
            return null;
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        Instant expiry = lines.length > 1 ? parseMillis(lines[1]) : Instant.EPOCH;
        long duration = -1;
        if (lines.length > 2) {
            try {
                duration = Long.parseLong(lines[2].strip());
            } catch (NumberFormatException e) {
                duration = -1;
            }
        }
        if (duration < 0) {
            // An earlier release's lease: it lasts until its expiry, by the wall clock.
            duration = Math.max(0, expiry.toEpochMilli() - clock.millis());
        }
        return new Found(text, lines[0], expiry, Math.min(duration, LONGEST_WATCH_MILLIS));
    }

    private static Instant parseMillis(String text) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return Instant.EPOCH;
        }
    }

    private String newText() {
        long ttlMillis = TimeUnit.NANOSECONDS.toMillis(ttlNanos);
        return holder + "\n" + (clock.millis() + ttlMillis) + "\n" + ttlMillis + "\n";
    }

    /** Long expired by the wall clock (by more than its own duration): its holder is long gone. */
    private boolean stale(Found found) {
        return found.expiry().toEpochMilli() + found.durationMillis() < clock.millis();
    }

    /**
     * Whether another holder's lease, unchanged for {@code silentNanos} of this process's watch, may be taken
     * over: after its whole stated duration; or, once its expiry passed by the wall clock, after half of it (two of
     * its holder's renewals missed). The holder acts only until a quarter before its expiry, by its own clock: the
     * second rule assumes the two clocks differ by less than that (NTP); it is what lets a mount restarted after
     * {@code kill -9} have its lease back within the duration of the kill rather than of its own start.
     */
    private boolean silentLongEnough(Found found, long silentNanos) {
        long duration = TimeUnit.MILLISECONDS.toNanos(found.durationMillis());
        return silentNanos >= duration
                || (silentNanos >= duration / 2 && found.expiry().toEpochMilli() < clock.millis());
    }

    /**
     * Renewed less than half its duration ago, by the wall clock: its holders are alive, and no one is about to take
     * it over; joining it needs no settling.
     */
    private boolean renewedLately(Found found) {
        return found.expiry().toEpochMilli() - clock.millis() > found.durationMillis() / 2;
    }

    private void acquire() throws IOException {
        String seen = null;
        long seenSince = 0;
        for (int conflicts = 0; conflicts < 5; ) {
            long start = System.nanoTime();
            Found found = read();
            if (found == null) {
                String text = newText();
                if (objects.putBytes(key, text.getBytes(StandardCharsets.UTF_8), true) == S3Objects.Put.CREATED
                        && confirm(start, text, false)) {
                    return;
                }
                conflicts++;
                continue;
            }
            if (found.holder().equals(holder) || stale(found)) {
                if (write(start, found.holder().equals(holder) && renewedLately(found) ? 0 : settleNanos)) {
                    return;
                }
                conflicts++;
                continue;
            }
            if (seen == null) {
                seen = found.text();
                seenSince = System.nanoTime();
                Found first = found;
                LOG.info(() -> what + " is held by " + first.holder() + " until " + first.expiry()
                        + ": waiting to see whether it renews the lease, up to "
                        + Duration.ofMillis(first.durationMillis()).toSeconds() + " s");
            } else if (!seen.equals(found.text())) {
                throw new StoreException(what + " is held by " + found.holder() + " until " + found.expiry() + " ("
                        + objects.url(key) + ", renewed while this process waited); wait for it, or delete that"
                        + " object if its holder is gone");
            } else if (silentLongEnough(found, System.nanoTime() - seenSince)) {
                LOG.warning(() -> "taking over " + objects.url(key) + " from " + found.holder()
                        + ", which did not renew it for the whole lease");
                if (write(start, settleNanos)) {
                    return;
                }
                conflicts++;
                seen = null;
                continue;
            }
            pause(Math.min(periodNanos, TimeUnit.SECONDS.toNanos(1)));
        }
        throw new StoreException("could not take the lease " + objects.url(key) + ": it changed hands 5 times");
    }

    /**
     * Writes the lease for this holder and reads it back (after {@code settle}); true if it is ours and the whole
     * step, from {@code start} (taken before the look that decided it), took less than the margin.
     */
    private boolean write(long start, long settle) throws IOException {
        String text = newText();
        objects.putBytes(key, text.getBytes(StandardCharsets.UTF_8), false);
        return confirm(start, text, settle > 0);
    }

    private boolean confirm(long start, String text, boolean settle) throws IOException {
        lastWritten = text;
        long wallStart = clock.millis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (settle) {
            pause(settleNanos);
        }
        Found now = read();
        if (now == null || !now.holder().equals(holder)) {
            return false;
        }
        if (System.nanoTime() - start >= marginNanos) {
            LOG.warning(() -> "writing " + objects.url(key) + " took longer than the lease's margin: not counted");
            return false;
        }
        validUntilMillis = wallStart + TimeUnit.NANOSECONDS.toMillis(ttlNanos - marginNanos);
        validUntilNanos = start + ttlNanos - marginNanos;
        held = true;
        synchronized (changes) {
            changes.notifyAll();
        }
        return true;
    }

    private static void pause(long nanos) throws InterruptedIOException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a lease");
        }
    }

    /** Whether this process may act on the lease now. */
    boolean valid() {
        return held && lost == null && System.nanoTime() - validUntilNanos < 0 && clock.millis() < validUntilMillis;
    }

    /**
     * Returns if the lease is valid, waiting (up to a duration and two renewals) for the renewal thread to take
     * it again if it lapsed; throws if it is lost or stays lapsed.
     *
     * @param doing what the caller is about to do, for the message
     */
    void check(String doing) throws StoreException {
        if (valid()) {
            return;
        }
        long deadline = System.nanoTime() + ttlNanos + 2 * periodNanos;
        if (lost == null && !closed && renewalAsked.compareAndSet(false, true)) {
            try {
                renewal.execute(() -> {
                    renewalAsked.set(false);
                    renew();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                renewalAsked.set(false); // closed meanwhile
            }
        }
        synchronized (changes) {
            while (lost == null && !closed && !valid()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(changes, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (valid()) {
            return;
        }
        String why = lost != null ? "it was lost: " + lost : "it lapsed (not renewed in time)";
        throw new StoreException("refused to " + doing + ": this process no longer holds the lease on " + what + " ("
                + objects.url(key) + "), " + why);
    }

    /** The renewal thread's step: renew, or after a lapse take the lease again as a newcomer would. */
    private void renew() {
        if (closed || lost != null || renewalPaused) {
            return;
        }
        long start = System.nanoTime();
        try {
            Found found = read();
            if (found == null || !found.holder().equals(holder)) {
                lose(
                        found == null
                                ? "its object was deleted"
                                : "it is held by " + found.holder() + " until " + found.expiry());
                return;
            }
            if (valid() || !found.text().equals(lastWritten)) {
                // Valid: renew. Lapsed, but another process of this store folder renewed it since: join again.
                watched = null;
                write(start, valid() ? 0 : settleNanos);
                return;
            }
            // Lapsed, and nobody wrote it since this instance did: someone may be watching it to take it over.
            // Wait as they do, for a whole duration of silence, before writing it again.
            if (!found.text().equals(watched)) {
                watched = found.text();
                watchedSince = start;
                LOG.warning(() -> "the lease on " + what + " lapsed: writes and deletes wait until it is taken again");
            } else if (start - watchedSince >= ttlNanos) {
                watched = null;
                write(start, settleNanos);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "could not renew the lease " + objects.url(key) + ": " + e.getMessage()
                            + (valid() ? "" : " (lapsed: writes and deletes wait for it)"));
        }
    }

    private void lose(String why) {
        lost = why;
        LOG.severe(() -> "lost the lease on " + what + " (" + objects.url(key) + "): " + why
                + "; this process stores and deletes nothing more (reopen the store)");
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    /** Stops renewing (the lease then lapses; see {@link #release}). */
    @Override
    public void close() {
        closed = true;
        renewal.shutdownNow();
        try {
            renewal.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    /** Stops renewing and deletes the lease object if it still names this holder: the next taker need not wait. */
    void release() throws IOException {
        close();
        Found found = read();
        if (found != null && found.holder().equals(holder)) {
            objects.delete(key);
        }
    }

    /** Stops or resumes renewals, as in a process whose renewal thread does not run (tests). */
    void pauseRenewalForTests(boolean paused) {
        renewalPaused = paused;
    }
}
