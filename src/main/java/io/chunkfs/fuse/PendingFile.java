package io.chunkfs.fuse;

import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.InsertResult;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.StagedChunk;
import io.chunkfs.store.WriteSession;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A regular file of the tree (one inode, whichever of its names it was opened by) while it is open for writing.
 * Its bytes start as its committed chunk and are copied to a staged chunk on the first change; every flush with
 * changes since the last one commits them as a chunk, then points the inode at it. Thread-safe.
 */
final class PendingFile {
    private static final int COPY_BUFFER = 128 * 1024;

    private final ChunkStore store;
    private final Namespace tree;
    private final WriteSession session;
    private final long inode;
    /** The entry as it was when the file was opened: what fstat shows once every name is gone. */
    private final Entry openedAs;
    /** The path it was opened by, as the status report shows it. */
    private final String shownPath;
    /** The committed bytes the file starts from; null for an empty file. */
    private Digest base;

    private long baseSize;
    /** The committed bytes, checked whole when first read and open until they are replaced. */
    private ChunkReader baseReader;

    private StagedChunk staged;
    private boolean dirty;
    /**
     * A write or a commit failed: the bytes are incomplete and must never be committed. Sticky: every
     * later write, flush and fsync fails with it, until the file is truncated to 0 (rewritten whole).
     */
    private int failedErrno;

    private int openHandles;
    /** The mtime to record with the next commit, in nanoseconds since the epoch. */
    private long modified;

    /**
     * Starts writing the regular file {@code entry} whose committed bytes are {@code base} ({@code baseSize}
     * bytes; null for an empty file).
     */
    PendingFile(ChunkStore store, Entry entry, String shownPath, Digest base, long baseSize) throws IOException {
        this.store = store;
        this.tree = store.tree();
        this.session = store.beginWrite();
        this.inode = entry.inode();
        this.openedAs = entry;
        this.shownPath = shownPath;
        this.base = base;
        this.baseSize = baseSize;
        this.modified = entry.mtime();
    }

    long inode() {
        return inode;
    }

    Entry openedAs() {
        return openedAs;
    }

    /** The path it was opened by. */
    String name() {
        return shownPath;
    }

    synchronized void attach() {
        openHandles++;
    }

    /** Detaches one handle; true if it was the last. */
    synchronized boolean detach() {
        return --openHandles == 0;
    }

    /** A new, empty file: committed on flush even if nothing is ever written to it. */
    synchronized void markCreated() {
        dirty = true;
    }

    synchronized void write(ByteBuffer data, long offset) throws IOException {
        if (failedErrno != 0) {
            throw new FsError(failedErrno, "an earlier write to this file failed; rewrite it from the start");
        }
        try {
            stagedCopy().write(data, offset);
        } catch (IOException | FsError e) {
            // Also a damaged committed chunk under a copy-on-write (EIO): close(2) must fail too.
            failedErrno = Errno.of(e);
            throw e;
        }
        dirty = true;
        modified = now();
    }

    synchronized int read(ByteBuffer into, long offset) throws IOException {
        if (staged != null) {
            return staged.read(into, offset);
        }
        if (base == null) {
            return -1;
        }
        int n = baseReader().read(into, offset);
        return n == 0 && into.hasRemaining() ? -1 : n;
    }

    /** The committed chunk, verified whole before its first byte is read (or copied). */
    private ChunkReader baseReader() throws IOException {
        if (baseReader == null) {
            // A CorruptChunkException goes up as it is: the FUSE layer answers EIO and counts it for status.
            baseReader = store.openVerified(base);
        }
        return baseReader;
    }

    private void closeBaseReader() throws IOException {
        if (baseReader != null) {
            ChunkReader closing = baseReader;
            baseReader = null;
            closing.close();
        }
    }

    synchronized void truncate(long size) throws IOException {
        if (size == 0 && failedErrno != 0) {
            // Rewritten from the start: what an earlier failure lost no longer matters.
            discardStaged();
            failedErrno = 0;
        }
        if (failedErrno != 0) {
            throw new FsError(failedErrno, "an earlier write to this file failed; rewrite it from the start");
        }
        if (size == 0 && staged == null) {
            closeBaseReader();
            base = null;
            baseSize = 0;
        } else {
            stagedCopy().truncate(size);
        }
        dirty = true;
        modified = now();
    }

    /** utimensat(2) while open: the mtime the next commit records (the tree has it already). */
    synchronized void setModified(long mtime) {
        modified = mtime;
    }

    private long now() {
        return Attributes.nanos(store.options().clock().instant());
    }

    synchronized long size() {
        return staged != null ? staged.size() : baseSize;
    }

    synchronized long modified() {
        return modified;
    }

    /** Whether the bytes changed since the last commit (a failed write counts). */
    synchronized boolean hasUncommittedChanges() {
        return dirty || failedErrno != 0;
    }

    /**
     * Whether a write or a commit failed: the file's bytes here are lost (until it is rewritten from the start), and
     * what its inode names is what the file is.
     */
    synchronized boolean failed() {
        return failedErrno != 0;
    }

    /** The committed digest, or null if the current bytes are not committed. */
    synchronized Digest committedDigest() {
        return dirty ? null : base;
    }

    /**
     * Commits the bytes if they changed since the last commit: afterwards they are a chunk (durable as the store's
     * sync level says) and the inode names it, unless every name of it was removed meanwhile.
     *
     * @return what was committed, or null if nothing had changed
     * @throws FsError with the errno of an earlier failed write, so that close(2) reports it
     */
    synchronized InsertResult commitIfChanged() throws IOException {
        if (failedErrno != 0) {
            discardStaged();
            dirty = false;
            throw new FsError(failedErrno, "an earlier write or commit of this file failed");
        }
        if (!dirty) {
            return null;
        }
        try {
            StagedChunk toCommit = stagedCopy();
            staged = null;
            dirty = false;
            InsertResult result = toCommit.commit();
            try {
                tree.setContent(inode, result.digest(), result.size(), modified);
            } catch (PosixException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                // Every name of the file was removed while it was open: its bytes have no name to take.
            }
            // Only now the committed bytes are the file's: until the inode names them, what it shows (its digest,
            // its bytes to readers) stays what the inode names.
            closeBaseReader();
            base = result.digest();
            baseSize = result.size();
            return result;
        } catch (IOException | RuntimeException e) {
            // The staged bytes are gone with the failed commit: a later commit must not pass off the old
            // base plus later writes as this file.
            failedErrno = Errno.of(e);
            throw e;
        }
    }

    /** Drops uncommitted bytes and ends the write session. */
    synchronized void close() throws IOException {
        try {
            closeBaseReader();
            discardStaged();
        } finally {
            session.close();
        }
    }

    private void discardStaged() throws IOException {
        if (staged != null) {
            StagedChunk dropped = staged;
            staged = null;
            dropped.close();
        }
    }

    /** The staged chunk, started on the first change as a copy of the committed bytes. */
    private StagedChunk stagedCopy() throws IOException {
        if (staged == null) {
            StagedChunk fresh = session.stage();
            try {
                if (base != null) {
                    // Copy-on-write starts from checked bytes: a damaged chunk must not become a new one.
                    copyChunk(baseReader(), fresh);
                }
            } catch (IOException | RuntimeException e) {
                fresh.close();
                throw e;
            }
            staged = fresh;
            closeBaseReader();
        }
        return staged;
    }

    private static void copyChunk(ChunkReader chunk, StagedChunk into) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER);
        long position = 0;
        while (chunk.read(buffer, position) > 0) {
            buffer.flip();
            int n = buffer.remaining();
            into.write(buffer, position);
            position += n;
            buffer.clear();
        }
    }
}
