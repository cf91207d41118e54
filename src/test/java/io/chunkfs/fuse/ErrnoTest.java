package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** Running out of descriptors keeps its own errno, whether the exception carries it or only its text. */
class ErrnoTest {
    @Test
    void descriptorExhaustionIsEmfileOrEnfileNeverEio() {
        assertEquals(24, Errno.EMFILE);
        assertEquals(23, Errno.ENFILE);
        assertEquals(Errno.EMFILE, Errno.of(new PosixException("openat", "ab/cd", 24)));
        assertEquals(Errno.ENFILE, Errno.of(new PosixException("openat", "ab/cd", 23)));
        assertEquals(Errno.EMFILE, Errno.of(new FileSystemException("/s/.chunks/ab/cd: Too many open files")));
        assertEquals(
                Errno.ENFILE, Errno.of(new FileSystemException("/s/.chunks/ab/cd: Too many open files in system")));
        assertEquals(
                Errno.EMFILE, Errno.of(new IOException("wrapped", new FileSystemException("x: Too many open files"))));
        assertEquals(Errno.EIO, Errno.of(new IOException("something else")));
    }

    @Test
    void writeFlushAndFsyncAnswerOnlyWhatTheirManPagesList() {
        assertEquals(Errno.EIO, Errno.forCall("write", Errno.ENOENT), "a base chunk swept before copy-on-write");
        assertEquals(Errno.EIO, Errno.forCall("flush", Errno.EMFILE), "out of descriptors while committing");
        assertEquals(Errno.ENOSPC, Errno.forCall("fsync", Errno.ENOSPC));
        assertEquals(Errno.EDQUOT, Errno.forCall("flush", Errno.EDQUOT));
        assertEquals(Errno.EMFILE, Errno.forCall("open", Errno.EMFILE), "other calls keep their errno");
        assertEquals(Errno.ENOENT, Errno.forCall("getattr", Errno.ENOENT));
    }
}
