package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import io.chunkfs.store.InsertResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a running mount has done since it started, for {@code chunkfs status}: commits and their
 * bytes, chunks that failed verification, errors answered by errno, the last store sync. Updated
 * from many FUSE threads at once, so only adders and concurrent maps.
 */
public final class MountStats {
    /** How many suspect digests are kept to show; the count goes on past it. */
    static final int SUSPECTS_KEPT = 100;

    private final Clock clock;
    private final Instant started;
    private final LongAdder commits = new LongAdder();
    private final LongAdder committedBytes = new LongAdder();
    private final LongAdder newChunks = new LongAdder();
    private final LongAdder verifyFailures = new LongAdder();
    private final Map<Digest, Boolean> suspectChunks = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> errorsByErrno = new ConcurrentHashMap<>();
    private final AtomicLong lastSyncMillis = new AtomicLong(-1);
    /** Under sync=file every commit is fsynced with its folder before close returns. */
    private final boolean commitsAreSynced;

    MountStats(boolean commitsAreSynced, Clock clock) {
        this.commitsAreSynced = commitsAreSynced;
        this.clock = clock;
        this.started = clock.instant();
    }

    Instant started() {
        return started;
    }

    /** Counts one commit of an incoming file; {@code result} null means nothing had changed. */
    void committed(InsertResult result) {
        if (result == null) {
            return;
        }
        commits.increment();
        committedBytes.add(result.size());
        if (!result.duplicate()) {
            newChunks.increment();
        }
        if (commitsAreSynced) {
            synced(clock.instant());
        }
    }

    /**
     * A chunk's bytes did not hash to its name while they were read: counts a verify failure and
     * keeps the digest as suspect (until 'chunkfs verify' sets it aside). For every verified read.
     */
    public void verifyFailed(Digest digest) {
        verifyFailures.increment();
        if (digest != null && suspectChunks.size() < SUSPECTS_KEPT) {
            suspectChunks.put(digest, Boolean.TRUE);
        }
    }

    /** The store's writes up to {@code when} are on disk (a syncfs, or a commit under sync=file). */
    void synced(Instant when) {
        lastSyncMillis.accumulateAndGet(when.toEpochMilli(), Math::max);
    }

    /**
     * Counts an error answered to a caller. ENOENT from a lookup and ENODATA from an attribute probe
     * are how every program asks "is it there?", not errors, and are left out.
     */
    void answered(String operation, int errno) {
        boolean probe = (errno == Errno.ENOENT && (operation.equals("getattr") || operation.equals("fgetattr")))
                || (errno == Errno.ENODATA && operation.equals("getxattr"));
        if (!probe) {
            errorsByErrno.computeIfAbsent(errno, key -> new LongAdder()).increment();
        }
    }

    long commits() {
        return commits.sum();
    }

    long committedBytes() {
        return committedBytes.sum();
    }

    long newChunks() {
        return newChunks.sum();
    }

    long verifyFailures() {
        return verifyFailures.sum();
    }

    List<String> suspectChunks() {
        List<String> digests = new ArrayList<>();
        suspectChunks.keySet().forEach(digest -> digests.add(digest.toString()));
        digests.sort(null);
        return digests;
    }

    /** Errors by errno name (EACCES, ENOSPC …), sorted by name. */
    Map<String, Long> errorsByErrno() {
        Map<String, Long> byName = new TreeMap<>();
        errorsByErrno.forEach((errno, count) -> byName.merge(errnoName(errno), count.sum(), Long::sum));
        return byName;
    }

    /** Time since the last sync, or null if the mount has not synced yet. */
    Duration sinceLastSync() {
        long last = lastSyncMillis.get();
        return last < 0 ? null : Duration.ofMillis(Math.max(0, clock.millis() - last));
    }

    static String errnoName(int errno) {
        if (errno == Errno.EOPNOTSUPP) {
            // jnr names 95 after its alias ENOTSUP; xattr calls and their man pages say EOPNOTSUPP.
            return "EOPNOTSUPP";
        }
        jnr.constants.platform.Errno known = jnr.constants.platform.Errno.valueOf(errno);
        return known == null || known == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__
                ? "errno " + errno
                : known.name();
    }
}
