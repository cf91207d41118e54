package io.chunkfs.fuse;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import io.chunkfs.store.EntryName;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * One readdir's calls of libfuse's {@code fuse_fill_dir_t} filler: each name goes as its bytes with a NUL, in
 * native memory this object owns, with a {@code struct stat} holding its inode and type. jnr-ffi cannot pass the
 * filler to a Java callback as an object, so it is called by address. Not thread-safe: one per readdir call;
 * {@link #close} frees its memory.
 */
final class DirectoryFiller implements AutoCloseable {
    /** {@code int (*fuse_fill_dir_t)(void *buf, const char *name, const struct stat *stbuf, off_t off)}. */
    private static final CallContext FILL = CallContext.getCallContext(
            Type.SINT,
            new Type[] {Type.POINTER, Type.POINTER, Type.POINTER, Type.SLONG},
            CallingConvention.DEFAULT,
            false);

    private final long filler;
    private final long buffer;
    private final long name;
    private final Pointer stat;
    private final long statAddress;

    DirectoryFiller(Pointer filler, Pointer buffer) {
        this.filler = filler.address();
        this.buffer = buffer.address();
        MemoryIO memory = MemoryIO.getInstance();
        this.name = memory.allocateMemory(EntryName.MAX_BYTES + 1, false);
        this.statAddress = memory.allocateMemory(FuseAbi.STAT_BYTES, true);
        this.stat = Pointer.wrap(Runtime.getSystemRuntime(), statAddress);
    }

    /** Adds {@code bytes} (1 to 255 bytes) with its inode and type bits; false once libfuse's buffer is full. */
    boolean add(byte[] bytes, long inode, int fileTypeBits) {
        MemoryIO memory = MemoryIO.getInstance();
        memory.putByteArray(name, bytes, 0, bytes.length);
        memory.putByte(name + bytes.length, (byte) 0);
        FuseAbi.fillDirectoryEntry(stat, inode, fileTypeBits);
        return Invoker.getInstance().invokeN4(FILL, filler, buffer, name, statAddress, 0) == 0;
    }

    @Override
    public void close() {
        MemoryIO memory = MemoryIO.getInstance();
        memory.freeMemory(name);
        memory.freeMemory(statAddress);
    }
}
