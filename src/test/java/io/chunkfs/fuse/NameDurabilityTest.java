package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.local.LocalBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under sync=file, a rename or removal in incoming/ waits for the next durability point of the tree; an fsync of
 * any file or folder of the mount is one (as an fsync of the folder is on ext4), without a kernel: ChunkFs's
 * callbacks are called directly, and the tree counts its durability points.
 */
class NameDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void fsyncAndFsyncdirMakeChangesOfNamesDurable() throws Exception {
        Stores.init(dir);
        StoreOptions options = StoreOptions.defaults().withSyncLevel(SyncLevel.FILE);
        LocalBackend backend = LocalBackend.open(dir, options);
        AtomicInteger syncs = new AtomicInteger();
        Namespace real = backend.openTree();
        Namespace counted = (Namespace) Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    if (method.getName().equals("sync")) {
                        syncs.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (ChunkStore store = ChunkStore.open(backend, counted, options)) {
            MountlessTree tree = MountlessTree.of(dir, store);
            tree.deliver("a", "bytes".getBytes(StandardCharsets.UTF_8));
            ChunkFs fs = new ChunkFs(store);
            assertEquals(0, fs.rename(MountlessTree.cString("/incoming/a"), MountlessTree.cString("/incoming/b")));
            int before = syncs.get();
            assertEquals(0, fs.fsyncdir(MountlessTree.cString("/incoming"), 0, null));
            assertTrue(syncs.get() > before, "fsyncdir reached a durability point of the tree");
            assertEquals(0, fs.unlink(MountlessTree.cString("/incoming/b")));
            before = syncs.get();
            assertEquals(0, fs.fsyncdir(MountlessTree.cString("/"), 0, null));
            assertTrue(syncs.get() > before, "an fsyncdir of any folder of the mount does too");
        }
    }
}
