package io.chunkfs.store;

import io.chunkfs.Stores;
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
 * mount does (the bytes and the name in one write session; now and then the same bytes as an earlier file), in
 * {@code incoming/} and in folders it makes there (nested, up to two deep), replaces, renames (within a folder and
 * between folders, onto other files too), hard-links and removes them, renames and removes folders and syncs,
 * while a second thread runs garbage collections with no margin (tree roots on, as in a new store: every chunk the
 * tree names is kept). Each step is printed before it starts ({@code w do ...}) and once it returned ({@code w
 * ok}), flushed at once, so that what the killed process acknowledged is on record. Paths start with {@code /}
 * (the tree's root, the mount's {@code incoming/}):
 *
 * <pre>
 * w do put PATH DIGEST    a file written (a new name or a replaced one: a new inode)
 * w do mv FROM TO         a rename of a file, replacing the file TO if it exists
 * w do ln FROM TO         a hard link: TO, a new name, for the inode FROM names
 * w do rm PATH            a removal of a file's name
 * w do mkdir PATH         a new folder
 * w do mvdir FROM TO      a rename of a folder (with everything in it) to a new name
 * w do rmdir PATH         a removal of an empty folder
 * w do sync               the tree's sync (sync=file) or a store sync (sync=filesystem)
 * w ok                    the step above returned
 * g do                    a collection starts
 * g ok REMOVED NAMES      it removed REMOVED chunks and NAMES names of missing chunks
 * </pre>
 *
 * Arguments: STORE LEVEL SEED ROUND (new names are {@code rROUND-N} for files, {@code dROUND-N} for folders); the
 * writer's choices follow SEED.
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
        Namespace tree = store.tree();
        List<String> files = new ArrayList<>();
        // The root ("") first: a new name goes to the root or one of these.
        List<String> folders = new ArrayList<>(List.of(""));
        TreeWalk.walk(tree, (path, entry) -> {
            String shown = "/"
                    + String.join(
                            "/", path.names().stream().map(EntryName::toString).toList());
            if (entry.isFolder()) {
                folders.add(shown);
            } else if (entry.type() == EntryType.REGULAR) {
                files.add(shown);
            }
        });
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; ; i++) {
            int choice = random.nextInt(100);
            String fresh = "r" + round + "-" + i;
            if (choice < 45 || files.isEmpty()) {
                boolean replace = choice >= 33 && !files.isEmpty();
                String path = replace ? pick(files, random) : pick(folders, random) + "/" + fresh;
                byte[] data;
                if (!written.isEmpty() && random.nextInt(5) == 0) {
                    data = written.get(random.nextInt(written.size()));
                } else {
                    data = new byte[1 + random.nextInt(64 * 1024)];
                    random.nextBytes(data);
                    written.add(data);
                }
                Digest digest = Digest.sha256(data);
                print("w do put " + path + " " + digest);
                // As the mount commits a written file: its write session spans the chunk and its name, so that a
                // collection running meanwhile keeps the chunk.
                try (WriteSession session = store.beginWrite()) {
                    session.insertChunk(data);
                    long size = store.stat(digest).orElseThrow().size();
                    tree.createOrReplace(
                            folder(tree, parent(path)),
                            EntryName.of(name(path)),
                            NewEntry.file(digest, size, 0644, 0, 0, System.currentTimeMillis() * 1_000_000L));
                }
                if (!replace) {
                    files.add(path);
                }
            } else if (choice < 56) {
                String from = pick(files, random);
                boolean onto = random.nextInt(4) == 0 && files.size() > 1;
                String to = onto ? pick(files, random) : pick(folders, random) + "/" + fresh;
                print("w do mv " + from + " " + to);
                tree.rename(
                        folder(tree, parent(from)),
                        EntryName.of(name(from)),
                        folder(tree, parent(to)),
                        EntryName.of(name(to)),
                        Namespace.RenameMode.REPLACE);
                if (!from.equals(to)) {
                    boolean sameInode = onto
                            && tree.lookup(folder(tree, parent(from)), EntryName.of(name(from)))
                                    .isPresent();
                    // Onto another name of the same inode, a rename does nothing: both names stay.
                    if (!sameInode) {
                        files.remove(from);
                        if (!onto) {
                            files.add(to);
                        }
                    }
                }
            } else if (choice < 63) {
                String from = pick(files, random);
                String to = pick(folders, random) + "/" + fresh;
                print("w do ln " + from + " " + to);
                Entry entry = tree.lookup(folder(tree, parent(from)), EntryName.of(name(from)))
                        .orElseThrow();
                tree.link(entry.inode(), folder(tree, parent(to)), EntryName.of(name(to)));
                files.add(to);
            } else if (choice < 75) {
                String name = files.remove(random.nextInt(files.size()));
                print("w do rm " + name);
                tree.unlink(folder(tree, parent(name)), EntryName.of(name(name)));
            } else if (choice < 82) {
                // Up to two deep: a/b, not a/b/c.
                List<String> shallow = folders.stream()
                        .filter(folder -> folder.chars().filter(c -> c == '/').count() < 2)
                        .toList();
                String path = pick(shallow, random) + "/d" + round + "-" + i;
                print("w do mkdir " + path);
                tree.create(
                        folder(tree, parent(path)),
                        EntryName.of(name(path)),
                        NewEntry.folder(0755, 0, 0, System.currentTimeMillis() * 1_000_000L));
                folders.add(path);
            } else if (choice < 86 && folders.size() > 1) {
                String from = folders.get(1 + random.nextInt(folders.size() - 1));
                // To the root, under a new name: never into itself, and no deeper than it was.
                String to = "/d" + round + "-" + i;
                print("w do mvdir " + from + " " + to);
                tree.rename(
                        folder(tree, parent(from)),
                        EntryName.of(name(from)),
                        Namespace.ROOT,
                        EntryName.of(name(to)),
                        Namespace.RenameMode.NOREPLACE);
                moveUnder(folders, from, to);
                moveUnder(files, from, to);
            } else if (choice < 90 && emptyFolder(folders, files) != null) {
                String path = emptyFolder(folders, files);
                print("w do rmdir " + path);
                tree.removeFolder(folder(tree, parent(path)), EntryName.of(name(path)));
                folders.remove(path);
            } else {
                print("w do sync");
                if (level == SyncLevel.FILESYSTEM) {
                    store.sync();
                } else {
                    tree.sync();
                }
            }
            print("w ok");
        }
    }

    private static String pick(List<String> from, Random random) {
        return from.get(random.nextInt(from.size()));
    }

    /** The folder part of a path ("" for the root). */
    private static String parent(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The inode of the folder {@code path} ("" for the root). */
    private static long folder(Namespace tree, String path) throws IOException {
        long inode = Namespace.ROOT;
        for (String name : path.split("/")) {
            if (!name.isEmpty()) {
                inode = tree.lookup(inode, EntryName.of(name)).orElseThrow().inode();
            }
        }
        return inode;
    }

    /** Renames {@code from} and every path under it to {@code to} in {@code paths}. */
    private static void moveUnder(List<String> paths, String from, String to) {
        paths.replaceAll(
                path -> path.equals(from) || path.startsWith(from + "/") ? to + path.substring(from.length()) : path);
    }

    /** A folder other than the root holding nothing, or null. */
    private static String emptyFolder(List<String> folders, List<String> files) {
        for (String folder : folders.subList(1, folders.size())) {
            String under = folder + "/";
            if (files.stream().noneMatch(path -> path.startsWith(under))
                    && folders.stream().noneMatch(path -> path.startsWith(under))) {
                return folder;
            }
        }
        return null;
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
