package io.chunkfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.TestBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line, run as real processes from the packaged jar. */
class CliIT {
    private static final Path PROJECT =
            Path.of(System.getProperty("chunkfs.project", ".")).toAbsolutePath();

    @TempDir
    Path dir;

    private Shell.Result cli(Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>(List.of("java", "-jar", Shell.JAR));
        command.addAll(List.of(args));
        return Shell.run(dir, environment, command, 120);
    }

    private Shell.Result cli(String... args) {
        return cli(
                Map.of(
                        "HOME",
                        dir.toString(),
                        "XDG_DATA_HOME",
                        dir.resolve("xdg").toString()),
                args);
    }

    private static void assertOneLineFailure(Shell.Result result, String expected) {
        assertEquals(1, result.exit(), result.toString());
        assertEquals(1, result.err().strip().lines().count(), "one line: " + result.err());
        assertTrue(result.err().startsWith("chunkfs: "), result.err());
        assertTrue(result.err().contains(expected), result.err());
        assertFalse(result.err().contains("Exception") || result.err().contains("at io."), result.err());
    }

    @Test
    void putPrintsWhatSha256sumPrintsAndGetReturnsTheBytes() throws Exception {
        byte[] random = TestBytes.random(5 << 20, 1);
        Files.write(dir.resolve("big.bin"), random);
        Files.write(dir.resolve("empty"), new byte[0]);
        Files.writeString(dir.resolve("text"), "hello\n");
        String put = cli("-s", "store", "put", "big.bin", "empty", "text").ok().out();
        String sha = Shell.bash(dir, "sha256sum big.bin empty text").ok().out();
        assertEquals(sha, put);
        String fromStdin = Shell.bash(dir, "printf 'from stdin' | java -jar " + Shell.JAR + " put -s store -")
                .ok()
                .out();
        assertEquals(Digest.sha256("from stdin".getBytes(StandardCharsets.UTF_8)) + "  -\n", fromStdin);

        Digest big = Digest.sha256(random);
        Shell.bash(dir, "java -jar " + Shell.JAR + " -s store get " + big + " > got.bin")
                .ok();
        assertArrayEquals(random, Files.readAllBytes(dir.resolve("got.bin")));
        cli("-s", "store", "get", Digest.sha256(new byte[0]).toString(), "-o", "got-empty")
                .ok();
        assertEquals(0, Files.size(dir.resolve("got-empty")));
    }

    @Test
    void theStoreComesFromTheOptionTheEnvironmentOrTheDefault() throws Exception {
        Files.writeString(dir.resolve("f"), "where");
        String digest = Digest.sha256("where".getBytes(StandardCharsets.UTF_8)).toString();
        cli(Map.of("HOME", dir.toString(), "XDG_DATA_HOME", dir.resolve("xdg").toString()), "put", "f")
                .ok();
        assertTrue(Files.exists(dir.resolve("xdg/chunkfs/.chunks")
                .resolve(digest.substring(0, 2))
                .resolve(digest)));
        cli(Map.of("HOME", dir.toString(), "CHUNKFS_STORE", dir.resolve("env").toString()), "put", "f")
                .ok();
        assertTrue(Files.exists(
                dir.resolve("env/.chunks").resolve(digest.substring(0, 2)).resolve(digest)));
        cli("put", "--store", "opt", "f").ok();
        assertTrue(Files.exists(
                dir.resolve("opt/.chunks").resolve(digest.substring(0, 2)).resolve(digest)));
        Shell.Result home = Shell.run(
                        dir,
                        Map.of("HOME", dir.toString()),
                        List.of(
                                "env",
                                "-u",
                                "XDG_DATA_HOME",
                                "-u",
                                "CHUNKFS_STORE",
                                "java",
                                "-jar",
                                Shell.JAR,
                                "put",
                                "f"),
                        60)
                .ok();
        assertTrue(home.exit() == 0 && Files.exists(dir.resolve(".local/share/chunkfs/.chunkfs")));
    }

    @Test
    void failuresAreOneLineAndUsageErrorsExitTwo() throws Exception {
        cli("-s", "store", "init").ok();
        assertTrue(cli("-s", "store", "init").ok().out().contains("already exists"));
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/x"), "x");
        assertOneLineFailure(cli("-s", "full", "init"), "not empty and is not a chunkfs store");
        assertOneLineFailure(cli("-s", "full", "get", "a".repeat(64)), "not a chunkfs store");
        assertOneLineFailure(cli("-s", "store", "get", "a".repeat(64)), "no such chunk");
        assertOneLineFailure(cli("-s", "store", "touch", "a".repeat(64)), "no such chunk");
        Shell.Result missingFile = cli("-s", "store", "put", "nope", "-");
        assertEquals(1, missingFile.exit());
        assertTrue(missingFile.err().contains("nope"), missingFile.err());
        for (String[] usage : new String[][] {
            {"-s", "store", "get", "A".repeat(64)},
            {"-s", "store", "get", "a".repeat(63)},
            {"-s", "store", "touch", "xyz"},
            {"--bogus"},
            {"-s", "store", "gc", "--margin", "5x"},
            {"put"},
            {}
        }) {
            Shell.Result result = cli(usage);
            assertEquals(2, result.exit(), String.join(" ", usage) + ": " + result);
        }
    }

    @Test
    void aStoreOfANewerFormatIsRefusedInOneLineByEveryCommandAndLeftAsItIs() throws Exception {
        cli("-s", "store", "init").ok();
        Files.writeString(dir.resolve("file"), "x");
        Files.writeString(dir.resolve("store/.chunkfs"), "chunkfs-store 4\n");
        for (String[] command : new String[][] {
            {"init"}, {"stats"}, {"put", "file"}, {"get", "a".repeat(64)}, {"verify"}, {"gc"}, {"receipts"}
        }) {
            List<String> args = new ArrayList<>(List.of("-s", "store"));
            args.addAll(List.of(command));
            assertOneLineFailure(
                    cli(args.toArray(String[]::new)),
                    "has format version 4, newer than this chunkfs reads (version 3 and earlier): upgrade chunkfs");
        }
        assertEquals("chunkfs-store 4\n", Files.readString(dir.resolve("store/.chunkfs")));
    }

    @Test
    void touchMovesAtimeAndKeepsMtime() throws Exception {
        Files.writeString(dir.resolve("f"), "touch");
        Digest digest = Digest.sha256("touch".getBytes(StandardCharsets.UTF_8));
        cli("-s", "store", "put", "f").ok();
        Path chunk = dir.resolve("store/.chunks").resolve(digest.prefix()).resolve(digest.toString());
        Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.ofEpochSecond(1_000_000_000)));
        Files.setLastModifiedTime(chunk, FileTime.from(Instant.ofEpochSecond(1_100_000_000)));
        Instant before = Instant.now().minusSeconds(1);
        cli("-s", "store", "touch", digest.toString()).ok();
        BasicFileAttributes attributes = Files.readAttributes(chunk, BasicFileAttributes.class);
        assertTrue(attributes.lastAccessTime().toInstant().isAfter(before));
        assertEquals(FileTime.from(Instant.ofEpochSecond(1_100_000_000)), attributes.lastModifiedTime());
    }

    @Test
    void gcMarksFromAFileOrStdinAndReportsJson() throws Exception {
        for (String name : new String[] {"a", "b", "c"}) {
            Files.writeString(dir.resolve(name), name);
        }
        cli("-s", "store", "put", "a", "b", "c").ok();
        Shell.bash(
                        dir,
                        "find store/.chunks -type f -name '????????????????????????????????????????????????????????????????' "
                                + "-exec touch -a -d '2020-01-01' {} +")
                .ok();
        Files.writeString(
                dir.resolve("marks"), "# kept\n" + Digest.sha256("a".getBytes(StandardCharsets.UTF_8)) + "\n\n");
        String json = cli("-s", "store", "gc", "--margin", "0s", "--mark", "marks", "--json")
                .ok()
                .out();
        assertTrue(
                json.contains("\"removed_chunks\":2")
                        && json.contains("\"kept_chunks\":1")
                        && json.contains("\"stopped\":null"),
                json);
        cli(
                        "-s",
                        "store",
                        "get",
                        Digest.sha256("a".getBytes(StandardCharsets.UTF_8)).toString())
                .ok();
        assertOneLineFailure(
                cli(
                        "-s",
                        "store",
                        "get",
                        Digest.sha256("b".getBytes(StandardCharsets.UTF_8)).toString()),
                "no such chunk");

        Shell.bash(dir, "java -jar " + Shell.JAR + " -s store put b > /dev/null")
                .ok();
        String fromStdin = Shell.bash(
                        dir,
                        "echo " + Digest.sha256("b".getBytes(StandardCharsets.UTF_8)) + " | java -jar " + Shell.JAR
                                + " -s store gc --margin 0s --mark -")
                .ok()
                .out();
        assertTrue(fromStdin.contains("marked 1 chunks"), fromStdin);
        assertTrue(
                cli("-s", "store", "gc").ok().out().contains("removed: 0 chunks"),
                "the default margin keeps fresh chunks");
        Files.writeString(
                dir.resolve("badmarks"), Digest.sha256("a".getBytes(StandardCharsets.UTF_8)) + "\nnot-a-digest\n");
        assertOneLineFailure(cli("-s", "store", "gc", "--mark", "badmarks"), "line 2");
    }

    @Test
    void verifyFindsAndSetsAsideADamagedChunk() throws Exception {
        Files.writeString(dir.resolve("f"), "original");
        cli("-s", "store", "put", "f").ok();
        cli("-s", "store", "verify").ok();
        Digest digest = Digest.sha256("original".getBytes(StandardCharsets.UTF_8));
        Path chunk = dir.resolve("store/.chunks").resolve(digest.prefix()).resolve(digest.toString());
        chunk.toFile().setWritable(true);
        Files.writeString(chunk, "0riginal");
        Shell.Result result = cli("-s", "store", "verify", "--json");
        assertEquals(1, result.exit());
        assertTrue(result.out().contains("\"bad\":[\"" + digest + "\"]"), result.out());
        assertTrue(Files.exists(chunk.resolveSibling(digest + ".0.bad")));
        assertOneLineFailure(cli("-s", "store", "get", digest.toString()), "no such chunk");
    }

    /**
     * A folder at a digest path is a damaged entry: verify names it in its summary, sets it aside (renamed, as a
     * folder cannot be linked) and goes on, exit 1; a second verify finds nothing.
     */
    @Test
    void verifyReportsAndSetsAsideAFolderAtADigestPath() throws Exception {
        Files.writeString(dir.resolve("f"), "fine");
        cli("-s", "store", "put", "f").ok();
        Digest planted = Digest.sha256("planted".getBytes(StandardCharsets.UTF_8));
        Path folder = dir.resolve("store/.chunks").resolve(planted.prefix()).resolve(planted.toString());
        Files.createDirectory(folder);

        Shell.Result text = cli("-s", "store", "verify");
        assertEquals(1, text.exit(), text.toString());
        assertTrue(text.out().contains("checked 1 chunks"), text.out());
        assertTrue(
                text.out()
                        .contains("damaged entry: a folder at the digest path " + folder + ", set aside as " + planted
                                + ".0.bad"),
                text.out());
        assertFalse(Files.exists(folder, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isDirectory(folder.resolveSibling(planted + ".0.bad"), LinkOption.NOFOLLOW_LINKS));

        Files.createDirectory(folder);
        Shell.Result json = cli("-s", "store", "verify", "--json");
        assertEquals(1, json.exit(), json.toString());
        assertTrue(json.out().contains("\"checked\":1,"), json.out());
        assertTrue(
                json.out().contains("\"damaged_entries\":[{\"digest\":\"" + planted + "\",\"kind\":\"folder\""),
                json.out());
        assertTrue(json.out().contains("\"set_aside_as\":\"" + planted + ".1.bad\""), json.out());
        assertTrue(Files.isDirectory(folder.resolveSibling(planted + ".1.bad"), LinkOption.NOFOLLOW_LINKS));

        assertTrue(cli("-s", "store", "verify").ok().out().contains("0 damaged entries"));
    }

    @Test
    void statsCountChunksAndBytes() throws Exception {
        Files.writeString(dir.resolve("a"), "12345");
        Files.writeString(dir.resolve("b"), "1234567890");
        cli("-s", "store", "put", "a", "b", "a").ok();
        String json = cli("-s", "store", "stats", "--json").ok().out();
        assertTrue(json.contains("\"chunks\":2,\"bytes\":15"), json);
        assertTrue(cli("-s", "store", "stats").ok().out().contains("chunks: 2"));
    }

    @Test
    void everyCommandHasHelpAndTheLauncherPassesThrough() throws Exception {
        for (String command :
                new String[] {"init", "put", "get", "touch", "gc", "verify", "stats", "mount", "umount", "receipts"}) {
            Shell.Result help = cli(command, "--help").ok();
            assertTrue(help.out().contains("Usage: chunkfs " + command), help.out());
        }
        assertTrue(cli("--version").ok().out().startsWith("chunkfs "));
        Files.writeString(dir.resolve("f"), "launcher");
        Shell.Result launched = Shell.run(
                        dir,
                        Map.of(),
                        List.of("bash", PROJECT.resolve("mount-scripts/chunkfs").toString(), "-s", "store", "put", "f"),
                        120)
                .ok();
        assertEquals(Digest.sha256("launcher".getBytes(StandardCharsets.UTF_8)) + "  f\n", launched.out());
        Shell.Result failing = Shell.run(
                dir,
                Map.of(),
                List.of(
                        "bash",
                        PROJECT.resolve("mount-scripts/chunkfs").toString(),
                        "-s",
                        "store",
                        "get",
                        "b".repeat(64)),
                120);
        assertEquals(1, failing.exit());
    }

    /** 2023-11-14T22:13:20.123456789Z, in nanoseconds: the times of the entries the tests below make. */
    private static final long TIME = 1_700_000_000_123_456_789L;

    private Path chunkFile(Digest digest) {
        return dir.resolve("store/.chunks").resolve(digest.prefix()).resolve(digest.toString());
    }

    /** Names {@code digest}'s chunk, already in {@code store}, {@code name} in {@code folder}. */
    private static void name(ChunkStore store, long folder, byte[] name, Digest digest, int mode) throws Exception {
        long size = store.stat(digest).orElseThrow().size();
        store.tree().create(folder, EntryName.of(name), NewEntry.file(digest, size, mode, 0, 0, TIME));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * receipts walks the tree depth first in the byte order of names, folders too, and lists what the mount shows:
     * not a file whose chunk is gone. Text escapes what is not UTF-8 (and control characters, and backslashes);
     * JSON gives such a path's bytes in base64 too.
     */
    @Test
    void receiptsListTheTreeAndEscapeNamesThatAreNotUtf8() throws Exception {
        cli("-s", "store", "init").ok();
        Digest plain;
        Digest other;
        Digest hidden;
        try (ChunkStore store = Stores.open(dir.resolve("store"))) {
            plain = store.insertChunk(utf8("plain")).digest();
            other = store.insertChunk(utf8("other")).digest();
            hidden = store.insertChunk(utf8("hidden")).digest();
            Namespace tree = store.tree();
            long docs = tree.create(Namespace.ROOT, EntryName.of("docs"), NewEntry.folder(0750, 0, 0, TIME))
                    .inode();
            tree.create(Namespace.ROOT, EntryName.of("empty folder"), NewEntry.folder(0755, 0, 0, TIME));
            name(store, Namespace.ROOT, utf8("plain.txt"), plain, 0644);
            name(store, Namespace.ROOT, utf8("\u00e9t\u00e9.txt"), plain, 0644);
            name(store, Namespace.ROOT, utf8("back\\slash\nnew line"), other, 0644);
            name(store, docs, new byte[] {'c', 'a', 'f', (byte) 0xe9}, other, 0600);
            name(store, Namespace.ROOT, utf8("hidden.txt"), hidden, 0644);
        }
        Files.delete(chunkFile(hidden));

        assertEquals(
                other + "  back\\\\slash\\x0anew line\n"
                        + other + "  docs/caf\\xe9\n"
                        + plain + "  plain.txt\n"
                        + plain + "  \u00e9t\u00e9.txt\n",
                cli("-s", "store", "receipts").ok().out());

        List<String> listing =
                cli("-s", "store", "receipts", "--long").ok().out().lines().toList();
        assertEquals(6, listing.size(), listing.toString());
        String time = "2023-11-14T22:13:20.123456789Z";
        assertEquals("file 0644 5 " + time + " " + other + "  back\\\\slash\\x0anew line", listing.get(0));
        assertTrue(listing.get(1).matches("folder 0750 0 \\S+Z -  docs"), listing.get(1));
        assertEquals("file 0600 5 " + time + " " + other + "  docs/caf\\xe9", listing.get(2));
        assertEquals("folder 0755 0 " + time + " -  empty folder", listing.get(3));
        assertEquals("file 0644 5 " + time + " " + plain + "  plain.txt", listing.get(4));
        assertEquals("file 0644 5 " + time + " " + plain + "  \u00e9t\u00e9.txt", listing.get(5));

        String json = cli("-s", "store", "receipts", "--json").ok().out();
        assertTrue(
                json.startsWith("[{\"path\":\"back\\\\slash\\nnew line\",\"type\":\"file\",\"digest\":\"" + other
                        + "\",\"size\":5,\"mode\":\"0644\",\"mtime\":\"" + time
                        + "\"},{\"path\":\"docs\",\"type\":\"folder\","
                        + "\"digest\":null,\"size\":0,\"mode\":\"0750\",\"mtime\":\""),
                json);
        assertTrue(
                json.contains(
                        "{\"path\":\"docs/caf\\\\xe9\",\"path_base64\":\"ZG9jcy9jYWbp\",\"type\":\"file\",\"digest\":\""
                                + other + "\",\"size\":5,\"mode\":\"0600\",\"mtime\":\"" + time + "\"}"),
                json);
        assertTrue(
                json.endsWith(",{\"path\":\"\u00e9t\u00e9.txt\",\"type\":\"file\",\"digest\":\"" + plain
                        + "\",\"size\":5,\"mode\":\"0644\",\"mtime\":\"" + time + "\"}]\n"),
                json);
        assertFalse(json.contains(hidden.toString()), "hidden as the mount hides it: " + json);
        assertEquals(6, json.split("\"path\":").length - 1, json);
        assertTrue(cli("receipts", "--help").ok().out().contains("\\xHH"));
    }

    /**
     * With tree roots on (a new store) gc keeps what the tree names; --tree-roots off, kept in the store, makes it
     * collect the PBS way: a named, untouched chunk goes, and so does its name. stats shows the setting.
     */
    @Test
    void gcKeepsWhatTheTreeNamesUntilTreeRootsAreTurnedOff() throws Exception {
        cli("-s", "store", "init").ok();
        Digest named;
        Digest unnamed;
        try (ChunkStore store = Stores.open(dir.resolve("store"))) {
            named = store.insertChunk(utf8("named")).digest();
            unnamed = store.insertChunk(utf8("unnamed")).digest();
            name(store, Namespace.ROOT, utf8("named.txt"), named, 0644);
        }
        String age = "find store/.chunks -type f -name '" + "?".repeat(64) + "' -exec touch -a -d '2020-01-01' {} +";
        Shell.bash(dir, age).ok();
        assertTrue(cli("-s", "store", "stats").ok().out().contains("tree roots: on"));

        String on = cli("-s", "store", "gc", "--margin", "0s").ok().out();
        assertTrue(on.contains("tree roots on: marked 1 chunks the tree names (0 named but missing)"), on);
        assertTrue(on.contains("removed: 1 chunks"), on);
        assertTrue(Files.exists(chunkFile(named)));
        assertFalse(Files.exists(chunkFile(unnamed)));

        Shell.bash(dir, age).ok();
        Shell.Result off = cli("-s", "store", "gc", "--tree-roots", "off", "--margin", "0s", "--json")
                .ok();
        assertTrue(
                off.err().contains("tree roots: off (the tree's names keep no chunk: only --mark and touches do)\n"),
                off.err());
        assertTrue(off.out().startsWith("{") && off.out().strip().endsWith("}"), off.out());
        assertTrue(
                off.out().contains("\"tree_roots\":false,\"tree_marked\":0,\"tree_marked_missing\":0")
                        && off.out().contains("\"removed_chunks\":1")
                        && off.out().contains("\"removed_receipts\":1"),
                off.out());
        assertFalse(Files.exists(chunkFile(named)));
        assertEquals("", cli("-s", "store", "receipts").ok().out(), "its name went with it");
        assertTrue(cli("-s", "store", "stats", "--json").ok().out().contains("\"tree_roots\":false"));
        assertTrue(cli("-s", "store", "gc").ok().out().contains("tree roots off: the tree's names kept no chunk"));

        String back = cli("-s", "store", "gc", "--tree-roots", "on").ok().out();
        assertTrue(back.startsWith("tree roots: on (gc keeps every chunk a name of the tree refers to)\n"), back);
        assertTrue(cli("-s", "store", "stats").ok().out().contains("tree roots: on"));
        assertEquals(2, cli("-s", "store", "gc", "--tree-roots", "maybe").exit());
    }

    /** verify of the whole store reports each name whose chunk is missing, exits 1, and changes nothing. */
    @Test
    void verifyReportsNamesWhoseChunkIsMissing() throws Exception {
        cli("-s", "store", "init").ok();
        Digest kept;
        Digest lost;
        byte[] lostName = {'l', 'o', 's', 't', ' ', (byte) 0xff};
        try (ChunkStore store = Stores.open(dir.resolve("store"))) {
            kept = store.insertChunk(utf8("kept")).digest();
            lost = store.insertChunk(utf8("lost")).digest();
            long folder = store.tree()
                    .create(Namespace.ROOT, EntryName.of("dir"), NewEntry.folder(0755, 0, 0, TIME))
                    .inode();
            name(store, Namespace.ROOT, utf8("kept.txt"), kept, 0644);
            name(store, folder, lostName, lost, 0644);
        }
        assertTrue(
                cli("-s", "store", "verify").ok().out().contains("tree: 2 chunks named, 0 names without their chunk"));
        Files.delete(chunkFile(lost));

        Shell.Result text = cli("-s", "store", "verify");
        assertEquals(1, text.exit(), text.toString());
        assertTrue(text.out().startsWith("checked 1 chunks, "), text.out());
        assertTrue(text.out().contains("\ntree: 2 chunks named, 1 names without their chunk\n"), text.out());
        assertTrue(text.out().contains("\nname without its chunk: " + lost + "  dir/lost \\xff\n"), text.out());

        Shell.Result json = cli("-s", "store", "verify", "--json");
        assertEquals(1, json.exit(), json.toString());
        String base64 = java.util.Base64.getEncoder()
                .encodeToString(new byte[] {'d', 'i', 'r', '/', 'l', 'o', 's', 't', ' ', (byte) 0xff});
        assertTrue(
                json.out()
                        .contains("\"tree_checked\":true,\"named_chunks\":2,\"names_without_chunk\":[{\"path\":"
                                + "\"dir/lost \\\\xff\",\"path_base64\":\"" + base64 + "\",\"digest\":\"" + lost
                                + "\"}]"),
                json.out());
        assertTrue(
                cli("-s", "store", "verify", kept.toString()).ok().out().startsWith("checked 1 chunks"),
                "a verify of given chunks leaves the tree alone");

        String gc = cli("-s", "store", "gc").ok().out();
        assertTrue(gc.contains("(1 named but missing)") && gc.contains("1 names of missing chunks"), gc);
        assertTrue(cli("-s", "store", "verify").ok().out().contains("0 names without their chunk"));
    }
}
