package io.chunkfs.fuse;

import com.kenai.jffi.MemoryIO;
import io.chunkfs.store.ChunkBackend;
import java.nio.ByteBuffer;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The raw libfuse 2.9 ABI details that jnr-fuse leaves out: the {@code fuse_operations} flag bits,
 * the {@code fuse_file_info} bit-field, and the open(2) flag bits; and how plain values are written
 * into the structs and buffers libfuse passes. Offsets are for 64-bit Linux; they are written here
 * once so that no callback computes one.
 */
final class FuseAbi {
    static final int O_ACCMODE = 3;
    static final int O_RDONLY = 0;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    /** {@code fuse_operations}' flag bits, which jnr-fuse leaves unset: the int at byte 304. */
    static final int FLAGS_OFFSET = 304;
    /** Calls on open files still come (with a null path) after the name was unlinked. */
    static final int FLAG_NULLPATH_OK = 1;
    /** {@code utimens} receives UTIME_NOW and UTIME_OMIT instead of libfuse dropping partial updates. */
    static final int FLAG_UTIME_OMIT_OK = 1 << 2;
    /** {@code fuse_file_info.direct_io} and {@code keep_cache}: bits of the bit-field int at byte 20. */
    static final int FILE_INFO_BITS_OFFSET = 20;
    /** {@code fuse_file_info.direct_io}: bit 0 of the bit-field int. */
    static final int DIRECT_IO = 1;
    /** {@code fuse_file_info.keep_cache}: bit 1 of the bit-field int. */
    static final int KEEP_CACHE = 1 << 1;
    /** {@code fuse_file_info.flags}, the open(2) flags: the int at byte 0. */
    static final int FILE_INFO_FLAGS_OFFSET = 0;
    /** {@code fuse_file_info.fh}, the file handle the file system chose at open: the long at byte 24. */
    static final int FILE_INFO_FH_OFFSET = 24;
    /**
     * Whether {@code struct stat} has the x86_64 Linux layout the offsets below describe; elsewhere getattr's
     * answer is written through jnr-fuse's {@link FileStat}, which knows each platform's.
     */
    static final boolean X86_64_STAT = Platform.getNativePlatform().getOS() == Platform.OS.LINUX
            && Platform.getNativePlatform().getCPU() == Platform.CPU.X86_64;

    private static final int STAT_INO = 8;
    private static final int STAT_NLINK = 16;
    private static final int STAT_MODE = 24;
    private static final int STAT_UID = 28;
    private static final int STAT_GID = 32;
    private static final int STAT_RDEV = 40;
    private static final int STAT_SIZE = 48;
    private static final int STAT_BLOCKS = 64;
    private static final int STAT_ATIME = 72;
    private static final int STAT_MTIME = 88;
    private static final int STAT_CTIME = 104;

    /** {@code sizeof(struct stat)} on 64-bit Linux (x86_64 and aarch64 both fit in it). */
    static final int STAT_BYTES = 144;
    /** {@code utimensat(2)}'s special nanosecond values, which libfuse passes on (FLAG_UTIME_OMIT_OK). */
    static final long UTIME_NOW = (1L << 30) - 1;

    static final long UTIME_OMIT = (1L << 30) - 2;
    /** libfuse's {@code FUSE_UNKNOWN_INO}: what a listing says of a name whose inode it does not know. */
    static final long UNKNOWN_INODE = 0xffff_ffffL;

    /** The callbacks of libfuse 2.9's {@code fuse_operations} that chunkfs binds, in the struct's order. */
    enum Slot {
        GETATTR(0),
        READLINK(1),
        MKNOD(3),
        MKDIR(4),
        UNLINK(5),
        RMDIR(6),
        SYMLINK(7),
        RENAME(8),
        LINK(9),
        CHMOD(10),
        CHOWN(11),
        TRUNCATE(12),
        OPEN(14),
        READ(15),
        WRITE(16),
        FLUSH(18),
        RELEASE(19),
        FSYNC(20),
        SETXATTR(21),
        GETXATTR(22),
        LISTXATTR(23),
        REMOVEXATTR(24),
        READDIR(26),
        FSYNCDIR(28),
        CREATE(32),
        FTRUNCATE(33),
        FGETATTR(34),
        UTIMENS(36);

        private final int index;

        Slot(int index) {
            this.index = index;
        }

        /** The byte offset of this function pointer in {@code fuse_operations}. */
        long offset() {
            return index * 8L;
        }
    }

    private FuseAbi() {}

    /** A uid or gid chown(2) passed: null for -1 (leave it as it is). */
    static Long id(long id) {
        return id == -1 || id == 0xFFFF_FFFFL ? null : id;
    }

    /**
     * The time {@code index} (0: atime, 1: mtime) of the two {@code struct timespec} at {@code times}, in
     * nanoseconds since the epoch: {@code now} for UTIME_NOW (and for a null {@code times}), null for UTIME_OMIT.
     */
    static Long time(Pointer times, int index, long now) {
        if (times == null) {
            return now;
        }
        long seconds = times.getLong(index * 16L);
        long nanos = times.getLong(index * 16L + 8);
        if (nanos == UTIME_NOW) {
            return now;
        }
        if (nanos == UTIME_OMIT) {
            return null;
        }
        return Math.addExact(Math.multiplyExact(seconds, 1_000_000_000L), nanos);
    }

    /** Sets the flag bits this file system relies on in the {@code fuse_operations} at {@code operations}. */
    static void enableOperationFlags(Pointer operations) {
        operations.putInt(FLAGS_OFFSET, operations.getInt(FLAGS_OFFSET) | FLAG_UTIME_OMIT_OK | FLAG_NULLPATH_OK);
    }

    /** Whether open(2) with {@code flags} may change the file: opened for writing, truncating or appending. */
    static boolean opensForWriting(int flags) {
        return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)) != 0;
    }

    static boolean truncates(int flags) {
        return (flags & O_TRUNC) != 0;
    }

    /** Tells the kernel how to cache the file just opened with the {@code fuse_file_info} at {@code info}. */
    static void setCaching(Pointer info, Caching caching) {
        switch (caching) {
            case KEEP -> setInfoBits(info, KEEP_CACHE);
            case NONE -> setInfoBits(info, DIRECT_IO);
            case DEFAULT -> {}
        }
    }

    private static void setInfoBits(Pointer info, int bits) {
        info.putInt(FILE_INFO_BITS_OFFSET, info.getInt(FILE_INFO_BITS_OFFSET) | bits);
    }

    /** The open(2) flags in the {@code fuse_file_info} at {@code info}. */
    static int openFlags(Pointer info) {
        return info.getInt(FILE_INFO_FLAGS_OFFSET);
    }

    /** The file handle in the {@code fuse_file_info} at {@code info}. */
    static long fileHandle(Pointer info) {
        return info.getLong(FILE_INFO_FH_OFFSET);
    }

    static void setFileHandle(Pointer info, long handle) {
        info.putLong(FILE_INFO_FH_OFFSET, handle);
    }

    /** The bytes at {@code buf}, as a buffer the store can read into or write from without a copy. */
    static ByteBuffer view(Pointer buf, long size) {
        return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
    }

    /**
     * Writes {@code attributes} into the {@code struct stat} at {@code stat} that getattr answers (libfuse zeroed
     * it). On x86_64 straight into the memory: building jnr-fuse's FileStat view (some twenty field objects) cost
     * more than the rest of a getattr.
     */
    static void fill(Pointer stat, Attributes attributes) {
        if (!X86_64_STAT) {
            fill(FileStat.of(stat), attributes);
            return;
        }
        stat.putLong(STAT_INO, attributes.inode());
        stat.putInt(STAT_MODE, attributes.type().fileTypeBits() | attributes.mode());
        stat.putLong(STAT_NLINK, attributes.links());
        stat.putInt(STAT_UID, (int) attributes.uid());
        stat.putInt(STAT_GID, (int) attributes.gid());
        stat.putLong(STAT_RDEV, attributes.device());
        stat.putLong(STAT_SIZE, attributes.size());
        stat.putLong(STAT_BLOCKS, attributes.blocks());
        putTime(stat, STAT_ATIME, attributes.atime());
        putTime(stat, STAT_MTIME, attributes.mtime());
        putTime(stat, STAT_CTIME, attributes.ctime());
    }

    /**
     * Writes what readdir passes along with each name into the {@code struct stat} at {@code stat}: the inode
     * number and the type bits (the kernel keeps nothing else of it).
     */
    static void fillDirectoryEntry(Pointer stat, long inode, int fileTypeBits) {
        if (!X86_64_STAT) {
            FileStat view = FileStat.of(stat);
            view.st_ino.set(inode);
            view.st_mode.set(fileTypeBits);
            return;
        }
        stat.putLong(STAT_INO, inode);
        stat.putInt(STAT_MODE, fileTypeBits);
    }

    private static void putTime(Pointer stat, int offset, long nanos) {
        stat.putLong(offset, Math.floorDiv(nanos, 1_000_000_000L));
        stat.putLong(offset + 8, Math.floorMod(nanos, 1_000_000_000L));
    }

    private static void fill(FileStat stat, Attributes attributes) {
        stat.st_ino.set(attributes.inode());
        stat.st_mode.set(attributes.type().fileTypeBits() | attributes.mode());
        stat.st_nlink.set(attributes.links());
        stat.st_uid.set(attributes.uid());
        stat.st_gid.set(attributes.gid());
        stat.st_rdev.set(attributes.device());
        stat.st_size.set(attributes.size());
        stat.st_blocks.set(attributes.blocks());
        setTime(stat.st_atim, attributes.atime());
        setTime(stat.st_mtim, attributes.mtime());
        setTime(stat.st_ctim, attributes.ctime());
    }

    private static void setTime(Timespec timespec, long nanos) {
        timespec.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
        timespec.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
    }

    /** The NUL-terminated bytes at {@code string} (a path or name libfuse passed), without the NUL. */
    static byte[] bytes(Pointer string) {
        if (string == null) {
            return null;
        }
        int length = (int) string.indexOf(0, (byte) 0);
        byte[] bytes = new byte[length];
        string.get(0, bytes, 0, length);
        return bytes;
    }

    /** The {@code size} bytes at {@code value}. */
    static byte[] bytes(Pointer value, long size) {
        byte[] bytes = new byte[(int) size];
        if (size > 0) {
            value.get(0, bytes, 0, bytes.length);
        }
        return bytes;
    }

    /** Writes the store's space into the {@code statvfs} statfs answers, in 4 KiB blocks. */
    static void fill(Statvfs stbuf, ChunkBackend.Space space) {
        long blockSize = 4096;
        stbuf.f_bsize.set(blockSize);
        stbuf.f_frsize.set(blockSize);
        stbuf.f_blocks.set(space.total() / blockSize);
        stbuf.f_bfree.set(space.free() / blockSize);
        stbuf.f_bavail.set(space.usable() / blockSize);
        stbuf.f_namemax.set(255);
    }

    /** The NUL-terminated text at {@code string} (an attribute's name), as UTF-8. */
    static String string(Pointer string) {
        return new String(bytes(string), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** readlink's protocol: the bytes, cut to fit {@code size} with their NUL. */
    static void replyString(Pointer buffer, long size, byte[] bytes) {
        if (size <= 0) {
            return;
        }
        int length = (int) Math.min(bytes.length, size - 1);
        buffer.put(0, bytes, 0, length);
        buffer.putByte(length, (byte) 0);
    }

    /** The xattr calls' protocol: size 0 asks for the length; a smaller buffer is ERANGE. */
    static int replyXattr(Pointer buffer, long size, byte[] bytes) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            throw new FsError(Errno.ERANGE, "buffer too small");
        }
        buffer.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }
}
