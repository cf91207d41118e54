package io.chunkfs.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A file of incoming/ open through the mount, writing or reading its {@link PendingFile}. Only a handle
 * open for writing commits at flush; any commits at fsync and at unmount.
 */
final class IncomingHandle implements Handle {
    private final IncomingFiles owner;
    private final PendingFile file;
    private final boolean writable;

    IncomingHandle(IncomingFiles owner, PendingFile file, boolean writable) {
        this.owner = owner;
        this.file = file;
        this.writable = writable;
    }

    PendingFile file() {
        return file;
    }

    boolean writable() {
        return writable;
    }

    @Override
    public int read(ByteBuffer into, long offset) throws IOException {
        while (into.hasRemaining()) {
            if (file.read(into, offset + into.position()) < 0) {
                break;
            }
        }
        return into.position();
    }

    @Override
    public void write(ByteBuffer data, long offset) throws IOException {
        if (!writable) {
            throw new FsError(Errno.EBADF, "not open for writing");
        }
        file.write(data, offset);
    }

    @Override
    public void flush() throws IOException {
        if (writable) {
            owner.commit(file);
        }
    }

    @Override
    public void fsync() throws IOException {
        owner.commit(file);
    }

    @Override
    public void truncate(long size) throws IOException {
        file.truncate(size);
    }

    @Override
    public void release() throws IOException {
        owner.release(this);
    }

    @Override
    public void commitAtUnmount() {
        owner.commitAtUnmount(file);
    }

    @Override
    public void closeAtUnmount() throws IOException {
        file.close();
    }
}
