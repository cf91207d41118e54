package io.chunkfs.fuse;

import com.kenai.jffi.MemoryIO;
import io.chunkfs.store.ChunkBackend;
import java.nio.ByteBuffer;
import java.time.Instant;
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

    private static final int STAT_NLINK = 16;
    private static final int STAT_MODE = 24;
    private static final int STAT_UID = 28;
    private static final int STAT_GID = 32;
    private static final int STAT_SIZE = 48;
    private static final int STAT_BLOCKS = 64;
    private static final int STAT_ATIME = 72;
    private static final int STAT_MTIME = 88;
    private static final int STAT_CTIME = 104;

    private FuseAbi() {}

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
     * it), every node owned by uid:gid. On x86_64 straight into the memory: building jnr-fuse's FileStat view
     * (some twenty field objects) cost more than the rest of a getattr.
     */
    static void fill(Pointer stat, Attributes attributes, int uid, int gid) {
        if (!X86_64_STAT) {
            fill(FileStat.of(stat), attributes, uid, gid);
            return;
        }
        stat.putInt(STAT_MODE, (attributes.folder() ? FileStat.S_IFDIR : FileStat.S_IFREG) | attributes.mode());
        stat.putLong(STAT_NLINK, attributes.links());
        stat.putInt(STAT_UID, uid);
        stat.putInt(STAT_GID, gid);
        if (!attributes.folder()) {
            stat.putLong(STAT_SIZE, attributes.size());
            stat.putLong(STAT_BLOCKS, (attributes.size() + 511) / 512);
        }
        putTime(stat, STAT_ATIME, attributes.accessed());
        putTime(stat, STAT_MTIME, attributes.modified());
        putTime(stat, STAT_CTIME, attributes.modified());
    }

    private static void putTime(Pointer stat, int offset, Instant instant) {
        stat.putLong(offset, instant.getEpochSecond());
        stat.putLong(offset + 8, instant.getNano());
    }

    private static void fill(FileStat stat, Attributes attributes, int uid, int gid) {
        stat.st_mode.set((attributes.folder() ? FileStat.S_IFDIR : FileStat.S_IFREG) | attributes.mode());
        stat.st_nlink.set(attributes.links());
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        if (!attributes.folder()) {
            stat.st_size.set(attributes.size());
            stat.st_blocks.set((attributes.size() + 511) / 512);
        }
        setTime(stat.st_atim, attributes.accessed());
        setTime(stat.st_mtim, attributes.modified());
        setTime(stat.st_ctim, attributes.modified());
    }

    private static void setTime(Timespec timespec, Instant instant) {
        timespec.tv_sec.set(instant.getEpochSecond());
        timespec.tv_nsec.set(instant.getNano());
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
