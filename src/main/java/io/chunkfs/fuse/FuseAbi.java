package io.chunkfs.fuse;

import com.kenai.jffi.MemoryIO;
import io.chunkfs.store.ChunkBackend;
import java.nio.ByteBuffer;
import java.time.Instant;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
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

    /** Tells the kernel how to cache the file just opened with {@code fi}. */
    static void setCaching(FuseFileInfo fi, Caching caching) {
        switch (caching) {
            case KEEP -> setInfoBits(fi, KEEP_CACHE);
            case NONE -> setInfoBits(fi, DIRECT_IO);
            case DEFAULT -> {}
        }
    }

    private static void setInfoBits(FuseFileInfo fi, int bits) {
        Pointer info = Struct.getMemory(fi);
        info.putInt(FILE_INFO_BITS_OFFSET, info.getInt(FILE_INFO_BITS_OFFSET) | bits);
    }

    /** The bytes at {@code buf}, as a buffer the store can read into or write from without a copy. */
    static ByteBuffer view(Pointer buf, long size) {
        return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
    }

    /** Writes {@code attributes} into the {@code stat} getattr answers, every node owned by uid:gid. */
    static void fill(FileStat stat, Attributes attributes, int uid, int gid) {
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
