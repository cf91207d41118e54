package io.chunkfs.store;

import io.chunkfs.Stores;
import io.chunkfs.testing.Receipts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The process {@link KillIT} kills with {@code kill -9}: on the store given, a writer thread writes files as the
 * mount does (the bytes and the name in one write session; now and then the same bytes as an earlier file),
 * replaces, renames and removes them and syncs, while a second thread runs garbage collections with no margin
 * (tree roots on, as in a new store: every chunk the tree names is kept). Each step is printed before it
 * starts ({@code w do ...}) and once it returned ({@code w ok}), flushed at once, so that what the killed process
 * acknowledged is on record:
 *
 * <pre>
 * w do put NAME DIGEST    a file written (a new name or a replaced one)
 * w do mv FROM TO         a rename, replacing TO if it exists
 * w do rm NAME            a removal
 * w do sync               the tree's sync (sync=file) or a store sync (sync=filesystem)
 * w ok                    the step above returned
 * g do                    a collection starts
 * g ok REMOVED NAMES      it removed REMOVED chunks and NAMES names of missing chunks
 * </pre>
 *
 * Arguments: STORE LEVEL SEED ROUND (names are {@code rROUND-N}); the writer's choices follow SEED.
 */
public final class KillWorkload {
    private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    private KillWorkload() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        SyncLevel level = SyncLevel.valueOf(args[1].toUpperCase(Locale.ROOT));
        long seed = Long.parseLong(args[2]);
        String round = args[3];
        ChunkStore store = Stores.open(root, StoreOptions.defaults().withSyncLevel(level));
        Thread gc = new Thread(() -> collectForever(store, new Random(seed + 1)), "gc");
        gc.setDaemon(true);
        gc.start();
        write(store, level, new Random(seed), round);
    }

    private static void write(ChunkStore store, SyncLevel level, Random random, String round) throws IOException {
        Receipts receipts = Receipts.of(store);
        List<String> names = new ArrayList<>();
        receipts.list().forEach(receipt -> names.add(receipt.name()));
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; ; i++) {
            int choice = random.nextInt(100);
            if (choice < 60 || names.isEmpty()) {
                boolean replace = choice >= 45 && !names.isEmpty();
                String name = replace ? names.get(random.nextInt(names.size())) : "r" + round + "-" + i;
                byte[] data;
                if (!written.isEmpty() && random.nextInt(5) == 0) {
                    data = written.get(random.nextInt(written.size()));
                } else {
                    data = new byte[1 + random.nextInt(64 * 1024)];
                    random.nextBytes(data);
                    written.add(data);
                }
                Digest digest = Digest.sha256(data);
                print("w do put " + name + " " + digest);
                // As the mount commits a written file: its write session spans the chunk and its name, so that a
                // collection running meanwhile keeps the chunk.
                try (WriteSession session = store.beginWrite()) {
                    session.insertChunk(data);
                    receipts.put(name, digest);
                }
                if (!replace) {
                    names.add(name);
                }
            } else if (choice < 75) {
                int from = random.nextInt(names.size());
                boolean onto = random.nextInt(4) == 0 && names.size() > 1;
                int toIndex = onto ? random.nextInt(names.size()) : -1;
                String to = onto ? names.get(toIndex) : "r" + round + "-" + i;
                String source = names.get(from);
                print("w do mv " + source + " " + to);
                receipts.rename(source, to);
                if (onto && toIndex != from) {
                    names.remove(to);
                    names.remove(source);
                    names.add(to);
                } else if (!onto) {
                    names.set(from, to);
                }
            } else if (choice < 90) {
                String name = names.remove(random.nextInt(names.size()));
                print("w do rm " + name);
                receipts.remove(name);
            } else {
                print("w do sync");
                if (level == SyncLevel.FILESYSTEM) {
                    store.sync();
                } else {
                    store.tree().sync();
                }
            }
            print("w ok");
        }
    }

    /** Collections one after another, keeping what the tree names; it never stops (the process is killed). */
    private static void collectForever(ChunkStore store, Random random) {
        try {
            if (!store.tree().treeRoots()) {
                throw new IllegalStateException("tree roots are off: a collection would keep no name's chunk");
            }
            while (true) {
                print("g do");
                GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(null);
                print("g ok " + result.removedChunks() + " " + result.removedReceipts());
                Thread.sleep(random.nextInt(50));
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            print("g failed " + e);
        }
    }

    private static void print(String line) {
        synchronized (OUT) {
            OUT.println(line);
            OUT.flush();
        }
    }
}
