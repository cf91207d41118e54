package io.chunkfs.store.local;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.testing.Receipts;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a store sync asks of the file system: one {@code syncfs} where that reaches the disk; on FUSE, an fsync of
 * every chunk published since the last store sync, then of the folders that name them; in both cases then, and
 * only once the chunks' sync succeeded, the tree's durability point ({@link io.chunkfs.store.ChunkStore#sync}:
 * chunks first, then the names); and after a failed fsync the next store sync covers the same changes again.
 */
class StoreSyncTest {
    @TempDir
    Path dir;

    /** What {@link #calls} records for a sync of the tree. */
    private static final String TREE_SYNC = "tree sync";

    /**
     * The calls a store made, in order: "syncfs", "fsync NAME" for a file, "fsyncFolder PATH", and {@link
     * #TREE_SYNC} when the store asks its tree for a durability point.
     */
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    private final Map<FileChannel, String> names = Collections.synchronizedMap(new IdentityHashMap<>());
    private volatile boolean failNextFileFsync;

    @Test
    void whereSyncfsReachesTheDiskAStoreSyncIsOneSyncfs() throws Exception {
        try (ChunkStore store = open(false)) {
            store.insertChunk(random(1000, 1));
            calls.clear();
            store.sync();
            assertTrue(calls.contains("syncfs"), calls.toString());
            assertFalse(calls.stream().anyMatch(call -> call.startsWith("fsync ") && Digest.isValid(name(call))));
            assertTrue(calls.indexOf("syncfs") < calls.indexOf(TREE_SYNC), "the chunks, then the tree: " + calls);
        }
    }

    @Test
    void onFuseAStoreSyncFsyncsEachChunkThenItsFolderThenTheTree() throws Exception {
        try (ChunkStore store = open(true)) {
            Digest a = store.insertChunk(random(1000, 1)).digest();
            Digest b = store.insertChunk(random(2000, 2)).digest();
            Receipts.of(store).put("a", a);
            calls.clear();
            store.sync();
            assertFalse(calls.contains("syncfs"), calls.toString());
            int fileA = calls.indexOf("fsync " + a);
            int fileB = calls.indexOf("fsync " + b);
            int folderA = indexOfFolder(".chunks/" + a.prefix());
            int folderB = indexOfFolder(".chunks/" + b.prefix());
            int tree = calls.indexOf(TREE_SYNC);
            assertTrue(fileA >= 0 && fileB >= 0, "both chunks fsynced: " + calls);
            assertTrue(fileA < folderA && fileB < folderB, "files before their folders: " + calls);
            assertTrue(folderA < tree && folderB < tree, "chunk folders before the tree: " + calls);
            assertEquals(1, Collections.frequency(calls, TREE_SYNC), "one durability point of the tree: " + calls);

            calls.clear();
            store.sync();
            assertFalse(calls.contains("fsync " + a), "a chunk synced once is not fsynced again: " + calls);
        }
    }

    @Test
    void onFuseAnIdenticalInsertIsCoveredByTheNextStoreSync() throws Exception {
        try (ChunkStore store = open(true)) {
            byte[] bytes = random(1000, 1);
            Digest digest = store.insertChunk(bytes).digest();
            store.sync();
            calls.clear();
            assertTrue(store.insertChunk(bytes).duplicate());
            store.sync();
            assertTrue(calls.contains("fsync " + digest), "the duplicate is made durable: " + calls);
        }
    }

    @Test
    void onFuseAFailedStoreSyncIsCoveredAgainByTheNext() throws Exception {
        try (ChunkStore store = open(true)) {
            Digest digest = store.insertChunk(random(1000, 1)).digest();
            Receipts.of(store).put("a", digest);
            calls.clear();
            failNextFileFsync = true;
            PosixException failure = assertThrows(PosixException.class, store::sync);
            assertEquals(Errno.EIO.intValue(), failure.errno());
            assertFalse(
                    calls.contains(TREE_SYNC), "no name is made durable by a store sync whose chunks failed: " + calls);
            calls.clear();
            store.sync();
            assertTrue(calls.contains("fsync " + digest), "the next store sync fsyncs it: " + calls);
            assertTrue(calls.indexOf(TREE_SYNC) > calls.indexOf("fsync " + digest), calls.toString());
            assertTrue(
                    indexOfFolder(".chunks/" + digest.prefix()) > calls.indexOf("fsync " + digest), calls.toString());
        }
    }

    private int indexOfFolder(String path) {
        return calls.indexOf("fsyncFolder " + dir.resolve("store").resolve(path));
    }

    private static String name(String call) {
        return call.substring(call.indexOf(' ') + 1);
    }

    /** A sync=filesystem store whose calls are recorded, on FUSE as {@code statfs} tells it or not. */
    private ChunkStore open(boolean onFuse) throws IOException {
        Path root = dir.resolve("store");
        Stores.init(root);
        Syscalls real = LinuxSyscalls.INSTANCE;
        Syscalls recording = (Syscalls) Proxy.newProxyInstance(
                Syscalls.class.getClassLoader(), new Class<?>[] {Syscalls.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "fileSystemType":
                            return onFuse ? StoreSync.FUSE : real.fileSystemType((Folder) args[0]);
                        case "syncfs":
                            calls.add("syncfs");
                            break;
                        case "fsync":
                            if (args[0] instanceof Folder folder) {
                                calls.add("fsyncFolder " + folder);
                            } else {
                                calls.add("fsync " + names.get(args[0]));
                                if (failNextFileFsync && Digest.isValid(String.valueOf(names.get(args[0])))) {
                                    failNextFileFsync = false;
                                    throw new PosixException(
                                            "fsync", String.valueOf(names.get(args[0])), Errno.EIO.intValue());
                                }
                            }
                            break;
                        default:
                    }
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (result instanceof Syscalls.OpenFile file) {
                        names.put(file.channel(), (String) args[1]);
                    }
                    return result;
                });
        StoreOptions options = new StoreOptions(SyncLevel.FILESYSTEM, false, Duration.ofHours(1), true);
        LocalBackend backend = LocalBackend.open(root, options, recording);
        Namespace tree = backend.openTree();
        Namespace recordingTree = (Namespace) Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    if (method.getName().equals("sync")) {
                        calls.add(TREE_SYNC);
                    }
                    try {
                        return method.invoke(tree, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return ChunkStore.open(backend, recordingTree, options);
    }
}
