package io.chunkfs.store.local;

import static io.chunkfs.store.local.Posix.LIBC;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link FileChannel} over a descriptor that openat(2) gave this process. Java 17 has no public way to wrap a
 * descriptor, and the other way, opening {@code /proc/self/fd/N} again (a path walk through procfs, a second open
 * and close, and the file made writable for it first), cost more than the rest of staging a small file.
 *
 * <p>Reads, writes (positional and relative), size, truncate and force, by pread, pwrite, lseek, ftruncate, fsync
 * and fdatasync; transfers copy through a buffer; no mapping and no locks. Positional calls may run concurrently;
 * the position is guarded by this object. Unlike the JDK's channels, {@link #close} must not race another call
 * on the channel (the descriptor number could be reused under it): owners serialise them, as a staged chunk does.
 */
final class DescriptorChannel extends FileChannel {
    private static final int SEEK_END = 2;
    private static final int TRANSFER_BUFFER = 64 * 1024;

    private final int fd;
    /** The file's path, for messages only. */
    private final String file;
    /** Where relative reads and writes go; guarded by this. */
    private long position;

    DescriptorChannel(int fd, String file) {
        this.fd = fd;
        this.file = file;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
        ensureOpen();
        requireNotNegative(at);
        int wanted = dst.remaining();
        if (wanted == 0) {
            return 0;
        }
        long n = LIBC.pread(fd, dst, wanted, at);
        if (n < 0) {
            throw Posix.error("read", file, Posix.errno());
        }
        if (n == 0) {
            return -1;
        }
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    @Override
    public int write(ByteBuffer src, long at) throws IOException {
        ensureOpen();
        requireNotNegative(at);
        int length = src.remaining();
        if (length == 0) {
            return 0;
        }
        long n = LIBC.pwrite(fd, src, length, at);
        if (n < 0) {
            throw Posix.error("write", file, Posix.errno());
        }
        src.position(src.position() + (int) n);
        return (int) n;
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public synchronized long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int wanted = dsts[i].remaining();
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (n < wanted) {
                break;
            }
        }
        return total;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        int n = write(src, position);
        position += n;
        return n;
    }

    @Override
    public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            while (srcs[i].hasRemaining()) {
                total += write(srcs[i]);
            }
        }
        return total;
    }

    @Override
    public synchronized long position() throws IOException {
        ensureOpen();
        return position;
    }

    @Override
    public synchronized FileChannel position(long newPosition) throws IOException {
        ensureOpen();
        requireNotNegative(newPosition);
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        // The descriptor's own offset is never used (every read and write is positional): seeking it is free.
        long size = LIBC.lseek(fd, 0, SEEK_END);
        if (size < 0) {
            throw Posix.error("seek", file, Posix.errno());
        }
        return size;
    }

    /** As {@link FileChannel#truncate}: only ever shortens the file. */
    @Override
    public synchronized FileChannel truncate(long size) throws IOException {
        requireNotNegative(size);
        if (size < size() && LIBC.ftruncate(fd, size) != 0) {
            throw Posix.error("truncate", file, Posix.errno());
        }
        position = Math.min(position, size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        if ((metaData ? LIBC.fsync(fd) : LIBC.fdatasync(fd)) != 0) {
            throw Posix.error("fsync", file, Posix.errno());
        }
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(TRANSFER_BUFFER, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
            int n = read(buffer, at + done);
            if (n <= 0) {
                break;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                target.write(buffer);
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel source, long at, long count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(TRANSFER_BUFFER, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
            int n = source.read(buffer);
            if (n <= 0) {
                break;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                write(buffer, at + done + buffer.position());
            }
            done += n;
        }
        return done;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long at, long size) {
        throw new UnsupportedOperationException("a staged file is not mapped");
    }

    @Override
    public FileLock lock(long at, long size, boolean shared) {
        throw new UnsupportedOperationException("a staged file is not locked");
    }

    @Override
    public FileLock tryLock(long at, long size, boolean shared) {
        throw new UnsupportedOperationException("a staged file is not locked");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        if (LIBC.close(fd) != 0) {
            throw Posix.error("close", file, Posix.errno());
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private static void requireNotNegative(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative position or size: " + value);
        }
    }
}
