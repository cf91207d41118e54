package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.InsertResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MountStatsTest {
    @Test
    void countsErrorsByNameButNotLookupsAndAttributeProbes() {
        MountStats stats = new MountStats(false, java.time.Clock.systemUTC());
        stats.answered("getattr", Errno.ENOENT);
        stats.answered("getxattr", Errno.ENODATA);
        stats.answered("open", Errno.ENOENT);
        stats.answered("create", Errno.EACCES);
        stats.answered("write", Errno.EACCES);
        stats.answered("setxattr", Errno.EOPNOTSUPP);
        stats.answered("read", 1234);
        assertEquals(Map.of("EACCES", 2L, "ENOENT", 1L, "EOPNOTSUPP", 1L, "errno 1234", 1L), stats.errorsByErrno());
    }

    @Test
    void countsCommitsBytesAndNewChunks() {
        MountStats stats = new MountStats(false, java.time.Clock.systemUTC());
        Digest a = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
        stats.committed(new InsertResult(a, 10, false, false));
        stats.committed(new InsertResult(a, 10, true, false));
        stats.committed(null);
        assertEquals(2, stats.commits());
        assertEquals(20, stats.committedBytes());
        assertEquals(1, stats.newChunks());
        assertNull(stats.sinceLastSync(), "sync=filesystem or none: a commit is not a sync");
    }

    @Test
    void underSyncFileEveryCommitIsASync() {
        MountStats stats = new MountStats(true, java.time.Clock.systemUTC());
        stats.committed(new InsertResult(Digest.sha256("b".getBytes(StandardCharsets.UTF_8)), 1, false, false));
        assertTrue(stats.sinceLastSync().toSeconds() < 60);
        stats.synced(Instant.EPOCH);
        assertTrue(stats.sinceLastSync().toSeconds() < 60, "an older sync never moves the last one back");
    }

    @Test
    void keepsABoundedSetOfSuspectChunksButCountsEveryFailure() {
        MountStats stats = new MountStats(false, java.time.Clock.systemUTC());
        for (int i = 0; i < MountStats.SUSPECTS_KEPT + 50; i++) {
            Digest digest = Digest.sha256(("chunk " + i).getBytes(StandardCharsets.UTF_8));
            stats.verifyFailed(digest);
            stats.verifyFailed(digest);
        }
        assertEquals(2L * (MountStats.SUSPECTS_KEPT + 50), stats.verifyFailures());
        assertEquals(MountStats.SUSPECTS_KEPT, stats.suspectChunks().size());
    }
}
