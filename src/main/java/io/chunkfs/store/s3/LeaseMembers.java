package io.chunkfs.store.s3;

import io.chunkfs.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The processes that use one store folder for writing share one host lease ({@link S3Lease}) under one holder id,
 * kept in {@code .s3/lease} and valid only while some process holds a lock on that file: byte 0 is held shared by
 * every member for as long as it is one, byte 1 exclusively for a moment while one joins or leaves. The first
 * member (none holds byte 0) draws a new id; the others read it. Locks belong to the open file, not to its
 * contents: a copy of the folder (a clone, a restored backup) has a file nobody locks, so it draws its own id and
 * is refused while the lease names the original's; a process killed with SIGKILL drops its locks, so the next
 * one draws a new id too and waits for the old lease to expire.
 *
 * <p>{@code fcntl} locks belong to the process, so one instance per file serves every store opened on the folder in
 * this JVM ({@link #join}), as for {@link PrefixLocks}.
 */
final class LeaseMembers {
    /** The instance of each file in this JVM, and how many opens share it. @GuardedBy("OPEN") */
    private static final Map<Path, LeaseMembers> OPEN = new HashMap<>();

    /** Something to do as the last member leaves, before anyone can join again. */
    interface LastOut {
        void run() throws IOException;
    }

    private final Path path;
    private final FileChannel file;
    private final FileLock member;
    private final String id;
    /** @GuardedBy("OPEN") */
    private int users;

    /** Joins the members of {@code file} (a store folder's {@code .s3/lease}); leave once per join. */
    static LeaseMembers join(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        synchronized (OPEN) {
            LeaseMembers members = OPEN.get(key);
            if (members == null) {
                members = new LeaseMembers(key);
                OPEN.put(key, members);
            }
            members.users++;
            return members;
        }
    }

    private LeaseMembers(Path path) throws IOException {
        this.path = path;
        this.file =
                FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (FileLock turn = file.lock(1, 1, false)) {
            FileLock alone = file.tryLock(0, 1, false);
            if (alone != null) {
                alone.release();
                this.id = S3Lease.newId();
                file.truncate(0);
                file.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            } else {
                ByteBuffer buffer = ByteBuffer.allocate(64);
                while (buffer.hasRemaining() && file.read(buffer, buffer.position()) > 0) {
                    // read the id
                }
                this.id = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
                if (!id.matches("[0-9a-f]{16}")) {
                    throw new StoreException(path + " holds no lease id while another process uses the store");
                }
            }
            this.member = file.lock(0, 1, true);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The id every member's lease holder ends in. */
    String id() {
        return id;
    }

    /** Leaves; the last member in any process runs {@code lastOut} (releasing the lease) before anyone joins again. */
    void leave(LastOut lastOut) throws IOException {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(path);
        }
        try (Closeable closing = file::close;
                FileLock turn = file.lock(1, 1, false)) {
            member.release();
            FileLock alone = file.tryLock(0, 1, false);
            if (alone != null) {
                alone.release();
                lastOut.run();
            }
        }
    }
}
