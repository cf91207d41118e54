package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the kernel hears from a callback: its result, or minus the errno of what it threw, counted. */
class AnswersTest {
    private final MountStats stats = new MountStats(false, java.time.Clock.systemUTC());
    private final Answers answers = new Answers(stats);

    @Test
    void aResultPassesThroughUncounted() {
        assertEquals(42, answers.answer("read", "/incoming/a", () -> 42));
        assertEquals(Map.of(), stats.errorsByErrno());
    }

    @Test
    void aRefusalAnswersItsErrnoAndIsCounted() {
        assertEquals(-Errno.EROFS, answers.answer("unlink", "/incoming/a", () -> {
            throw new FsError(Errno.EROFS, "mounted read-only");
        }));
        assertEquals(Map.of("EROFS", 1L), stats.errorsByErrno());
    }

    @Test
    void exceptionsAnswerTheErrnoTheirCallMayGive() {
        assertEquals(-Errno.ENOSPC, answers.answer("write", null, () -> {
            throw new IOException("No space left on device");
        }));
        assertEquals(-Errno.ENOENT, answers.answer("open", "/00/x", () -> {
            throw new NoSuchFileException("x");
        }));
        assertEquals(-Errno.EIO, answers.answer("flush", "/incoming/a", () -> {
            throw new NoSuchFileException("a base chunk swept before its copy-on-write");
        }));
    }

    @Test
    void aDamagedChunkIsEioAndCountsAVerifyFailure() {
        Digest digest = Digest.sha256("a".getBytes(StandardCharsets.US_ASCII));
        Digest actual = Digest.sha256("b".getBytes(StandardCharsets.US_ASCII));
        assertEquals(-Errno.EIO, answers.answer("read", "/incoming/a", () -> {
            throw new CorruptChunkException(digest, actual);
        }));
        assertEquals(1, stats.verifyFailures());
    }

    @Test
    void anErrorNeverReachesTheKernelAsSuccess() {
        assertEquals(-Errno.EIO, answers.answer("read", "/incoming/a", () -> {
            throw new OutOfMemoryError("test");
        }));
        assertEquals(Map.of("EIO", 1L), stats.errorsByErrno());
    }
}
