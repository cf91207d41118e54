package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * The tree of a mount without the kernel: the node handlers and the incoming-file state machine over
 * a real store in a folder, called as {@link ChunkFs} calls them.
 */
final class MountlessTree implements AutoCloseable {
    final Path dir;
    final ChunkStore store;
    final MountStats stats;
    final IncomingFiles files;
    final Nodes nodes;

    private MountlessTree(Path dir, ChunkStore store) {
        this.dir = dir;
        this.store = store;
        this.stats = new MountStats(false, java.time.Clock.systemUTC());
        Refusals refusals = new Refusals(store.options().readOnly());
        this.files = new IncomingFiles(store, refusals, stats);
        this.nodes = new Nodes(store, refusals, stats, files, Instant.EPOCH, 0, 0);
    }

    /** A fresh store in {@code dir}, opened writable. */
    static MountlessTree create(Path dir) throws IOException {
        Stores.init(dir);
        return open(dir, StoreOptions.defaults());
    }

    /** A tree over a store a test opened itself. */
    static MountlessTree of(Path dir, ChunkStore store) {
        return new MountlessTree(dir, store);
    }

    static MountlessTree open(Path dir, StoreOptions options) throws IOException {
        return new MountlessTree(dir, Stores.open(dir, options));
    }

    /** {@code text} as the NUL-terminated UTF-8 bytes in native memory libfuse passes a path or a name as. */
    static jnr.ffi.Pointer cString(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        jnr.ffi.Pointer memory = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), bytes.length + 1);
        memory.put(0, bytes, 0, bytes.length);
        memory.putByte(bytes.length, (byte) 0);
        return memory;
    }

    /** Who makes entries in these tests: root. */
    static final Caller CALLER = new Caller(0, 0);

    NodeHandler node(String path) {
        return nodes.of(path);
    }

    /** Creates incoming/{@code name}, writes {@code bytes} and closes it: a receipt of those bytes. */
    Digest deliver(String name, byte[] bytes) throws IOException {
        Handle handle = node("/incoming/" + name).create(0644, CALLER);
        write(handle, bytes, 0);
        handle.flush();
        handle.release();
        return Digest.sha256(bytes);
    }

    /** The names {@code path} lists, as UTF-8 text, in the order readdir gives them. */
    List<String> list(String path) throws IOException {
        List<String> names = new ArrayList<>();
        node(path)
                .list(page -> page.forEach(
                        listed -> names.add(new String(listed.name(), java.nio.charset.StandardCharsets.UTF_8))));
        return names;
    }

    static void write(Handle handle, byte[] bytes, long offset) throws IOException {
        handle.write(ByteBuffer.wrap(bytes), offset);
    }

    /** Reads up to {@code max} bytes from the start, as the kernel would with one read call. */
    static byte[] read(Handle handle, int max) throws IOException {
        ByteBuffer into = ByteBuffer.allocate(max);
        int n = handle.read(into, 0);
        return Arrays.copyOf(into.array(), n);
    }

    /** Flips one byte of the chunk file behind {@code digest} in place, as a failing disk would. */
    void damage(Digest digest) throws IOException {
        Path file = StorePaths.chunk(dir, digest);
        file.toFile().setWritable(true);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, 0);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, 0);
        }
    }

    /**
     * The errno the caller of {@code operation} would see (as {@link ChunkFs} maps any exception), or a
     * failure of the test if {@code operation} did not fail.
     */
    static int errno(Executable operation) {
        return Errno.of(assertThrows(Exception.class, operation));
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
