package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.local.LocalBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit whose chunk was made but whose name failed (the tree out of space): close(2) fails, and until the
 * kernel's release arrives (it comes after close has returned) the open file goes on showing what its inode
 * names, never the chunk no name points at.
 */
class FailedNameTest {
    private static final int ENOSPC = 28;

    @TempDir
    Path dir;

    @Test
    void aFileWhoseNameFailedShowsWhatItsInodeStillNames() throws Exception {
        Stores.init(dir);
        StoreOptions options = StoreOptions.defaults();
        LocalBackend backend = LocalBackend.open(dir, options);
        Namespace real = backend.openTree();
        AtomicBoolean full = new AtomicBoolean();
        Namespace failing = (Namespace) Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    if (method.getName().equals("setContent") && full.get()) {
                        throw new PosixException("write", "tree.db", ENOSPC);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (ChunkStore store = ChunkStore.open(backend, failing, options)) {
            MountlessTree tree = MountlessTree.of(dir, store);
            byte[] old = "old bytes".getBytes(StandardCharsets.UTF_8);
            Digest named = tree.deliver("f", old);

            Handle writer = tree.node("/incoming/f").open(true, true).handle();
            MountlessTree.write(writer, "new bytes".getBytes(StandardCharsets.UTF_8), 0);
            full.set(true);
            assertEquals(ENOSPC, MountlessTree.errno(writer::flush), "close(2) reports the tree's ENOSPC");
            Digest made = Digest.sha256("new bytes".getBytes(StandardCharsets.UTF_8));
            assertTrue(store.contains(made), "the chunk was committed before the name failed");

            // The release has not come yet: the file shows what its inode names.
            assertEquals(named, tree.node("/incoming/f").digest());
            assertEquals(old.length, tree.node("/incoming/f").attributes().size());
            assertArrayEquals(
                    old,
                    MountlessTree.read(
                            tree.node("/incoming/f").open(false, false).handle(), 100));
            assertThrows(FsError.class, writer::flush, "the failure stays until the file is rewritten");

            full.set(false);
            writer.release();
            assertEquals(named, tree.node("/incoming/f").digest(), "the release commits nothing of a failed file");
        }
    }
}
