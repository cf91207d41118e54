package io.chunkfs.store.s3;

import io.chunkfs.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
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
 * A lease object in the bucket: {@code holder} and an expiry, renewed by a background thread while held. A
 * lease held by another holder and not expired is refused; an expired one is taken over. Object stores offer
 * no lock, so two hosts taking over the same expired lease at the same moment may both believe they hold it:
 * leases keep honest users apart (a second host mounting the same prefix, two collections), they are no
 * defence against a racing one.
 *
 * <p>The object's text is {@code holder\nexpiry-epoch-millis\n}.
 */
final class S3Lease implements Closeable {
    private static final Logger LOG = Logger.getLogger(S3Lease.class.getName());

    private final S3Objects objects;
    private final String key;
    private final String holder;
    private final Duration ttl;
    private final Clock clock;
    private final boolean releaseOnClose;
    private final ScheduledExecutorService renewal;

    private S3Lease(S3Objects objects, String key, String holder, Duration ttl, Clock clock, boolean releaseOnClose) {
        this.objects = objects;
        this.key = key;
        this.holder = holder;
        this.ttl = ttl;
        this.clock = clock;
        this.releaseOnClose = releaseOnClose;
        this.renewal = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "chunkfs-s3-lease");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Takes the lease at {@code key} for {@code holder}, or throws if another holder has it.
     *
     * @param what           what the lease is for, in the refusal's message
     * @param releaseOnClose delete the lease object on {@link #close} (else it expires by itself, which lets
     *                       several processes of one holder share it)
     */
    static S3Lease take(
            S3Objects objects,
            String key,
            String holder,
            Duration ttl,
            Clock clock,
            String what,
            boolean releaseOnClose)
            throws IOException {
        S3Lease lease = new S3Lease(objects, key, holder, ttl, clock, releaseOnClose);
        lease.acquire(what);
        long period = Math.max(1, ttl.toMillis() / 3);
        lease.renewal.scheduleAtFixedRate(lease::renew, period, period, TimeUnit.MILLISECONDS);
        return lease;
    }

    private void acquire(String what) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (objects.putBytes(key, text(), true) == S3Objects.Put.CREATED) {
                return;
            }
            byte[] found = objects.getBytes(key);
            if (found == null) {
                continue; // released meanwhile
            }
            String[] lines = new String(found, StandardCharsets.UTF_8).split("\n");
            String other = lines[0];
            Instant expiry = lines.length > 1 ? parseMillis(lines[1]) : Instant.EPOCH;
            if (other.equals(holder) || expiry.isBefore(clock.instant())) {
                objects.putBytes(key, text(), false);
                return;
            }
            throw new StoreException(what + " is held by " + other + " until " + expiry + " (" + objects.url(key)
                    + "); wait for it, or delete that object if its holder is gone");
        }
        throw new StoreException("could not take the lease " + objects.url(key) + ": it changed hands 3 times");
    }

    private static Instant parseMillis(String text) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return Instant.EPOCH;
        }
    }

    private byte[] text() {
        return (holder + "\n" + clock.instant().plus(ttl).toEpochMilli() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private void renew() {
        try {
            objects.putBytes(key, text(), false);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not renew the lease " + objects.url(key) + ": " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        renewal.shutdownNow();
        if (releaseOnClose) {
            objects.delete(key);
        }
    }
}
