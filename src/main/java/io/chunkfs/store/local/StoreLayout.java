package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.Digest;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreFormat;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Where everything of a store lives on disk, and the checks that a folder really is a store.
 *
 * <pre>
 * STORE/.chunkfs          format marker: "chunkfs-store 3" (see {@link StoreFormat} for the version rule)
 * STORE/.lock             held exclusively by a running garbage collection or a conversion
 * STORE/.chunks/00 … ff   the chunks, named by their 64-hex SHA-256
 * STORE/.writers/         one locked file per process that writes, named by its ID
 * STORE/.tmp/             temporary files of write sessions, named ID-N
 * STORE/tree.db           the file tree (version 3), with SQLite's tree.db-wal, tree.db-shm or tree.db-journal
 * STORE/receipts/         (versions 1 and 2) the receipts: symlinks NAME -> ../.chunks/PP/DIGEST
 * </pre>
 */
public final class StoreLayout {
    public static final String FORMAT_LINE = StoreFormat.FIRST_LINE;
    static final int PREFIXES = ChunkBackend.PREFIXES;

    private final Path root;
    /** The format read by the last {@link #open}, null before. */
    private volatile StoreFormat format;

    /** The format of the store as its marker said when it was opened; null if it was not opened. */
    public StoreFormat format() {
        return format;
    }

    public StoreLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path formatFile() {
        return root.resolve(".chunkfs");
    }

    public Path lockFile() {
        return root.resolve(".lock");
    }

    public Path chunksDir() {
        return root.resolve(".chunks");
    }

    public Path writersDir() {
        return root.resolve(".writers");
    }

    public Path tmpDir() {
        return root.resolve(".tmp");
    }

    /** An earlier release's receipts (format versions 1 and 2), until a conversion removes them. */
    public Path receiptsDir() {
        return root.resolve(RECEIPTS);
    }

    /** The file tree's database (format version 3). */
    public Path treeFile() {
        return root.resolve(TREE);
    }

    static final String RECEIPTS = "receipts";
    static final String MARKER = ".chunkfs";
    static final String MARKER_PARTIAL = ".chunkfs.partial";
    static final String TREE = SqlNamespace.fileName();
    /** A tree being put in place, complete only once renamed to {@link #TREE}. */
    static final String TREE_PARTIAL = TREE + ".partial";
    /** SQLite's files beside the tree: its write-ahead log and the log's index, or its rollback journal. */
    static final java.util.List<String> TREE_COMPANIONS =
            java.util.List.of(TREE + "-wal", TREE + "-shm", TREE + "-journal");

    /** The file where gc checks that touching moves atime on this file system. */
    Path atimeProbe() {
        return chunksDir().resolve(".atime-probe");
    }

    public Path prefixDir(int prefix) {
        return chunksDir().resolve(prefixName(prefix));
    }

    public Path prefixDir(String prefix) {
        return chunksDir().resolve(prefix);
    }

    public Path chunkPath(Digest digest) {
        return chunksDir().resolve(digest.prefix()).resolve(digest.toString());
    }

    static String prefixName(int prefix) {
        return String.format(Locale.ROOT, "%02x", prefix);
    }

    /** Names in the store folder that a creation interrupted by a crash may have left: creating again resumes. */
    private static final java.util.Set<String> CREATION_NAMES = java.util.Set.of(
            ".chunks",
            ".tmp",
            ".writers",
            RECEIPTS,
            ".lock",
            MARKER_PARTIAL,
            TREE,
            TREE_PARTIAL,
            TREE + "-wal",
            TREE + "-shm",
            TREE + "-journal");

    /**
     * Creates a store in {@code root} (made if missing). A folder that is already a valid store is left as it
     * is; a non-empty folder that is not a store (or a store whose creation a crash interrupted) is refused.
     * Every file and folder made is fsynced, the format marker last, so that a store that claims to exist
     * after a power cut is whole. A store of version 3 gets its file tree, {@code tree.db} (empty, gc keeping
     * what it names), before its marker; one a crash left is kept.
     *
     * @param privateStore folders 0700 and chunks 0400 instead of 0755 and 0444; a store folder that
     *                     already exists without group or other bits is private too
     * @return true if a store was created, false if one was already there
     */
    boolean create(Syscalls sys, boolean privateStore) throws IOException {
        return create(sys, privateStore, StoreFormat.markerText());
    }

    /** Creates a store whose marker is {@code markerText}; see {@link #create(Syscalls, boolean)}. */
    boolean create(Syscalls sys, boolean privateStore, String markerText) throws IOException {
        boolean withTree = StoreFormat.parse(root, markerText).hasTree();
        if (Files.exists(formatFile(), LinkOption.NOFOLLOW_LINKS) && !isBlank(formatFile())) {
            open(sys).close();
            return false;
        }
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new StoreException("cannot create a store at " + root + ": it is not a folder");
        }
        Path parent = root.getParent();
        boolean madeRoot = false;
        if (!Files.isDirectory(root)) {
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(root);
                madeRoot = true;
            } catch (FileAlreadyExistsException e) {
                // made meanwhile: the checks below decide
            }
        }
        Folder rootFolder = sys.openRoot(root);
        try {
            try (var entries = sys.list(rootFolder)) {
                if (entries.anyMatch(name -> !CREATION_NAMES.contains(name) && !name.equals(".chunkfs"))) {
                    throw new StoreException("cannot create a store in " + root
                            + ": the folder is not empty and is not a chunkfs store");
                }
            }
            FileStat rootStat = sys.stat(rootFolder, ".");
            boolean isPrivate = privateStore || (!madeRoot && (rootStat.permissions() & 077) == 0);
            int folderMode = isPrivate ? 0700 : 0755;
            Posix.chmod(rootFolder, folderMode);
            Folder chunks = mkdirAndOpen(sys, rootFolder, ".chunks", folderMode);
            try {
                for (int prefix = 0; prefix < PREFIXES; prefix++) {
                    mkdirIfMissing(sys, chunks, prefixName(prefix), folderMode);
                }
                // The first fsync commits every mkdir above; the others find nothing left to write.
                for (int prefix = 0; prefix < PREFIXES; prefix++) {
                    Folder folder = sys.openFolder(chunks, prefixName(prefix));
                    try {
                        sys.fsync(folder);
                    } finally {
                        sys.close(folder);
                    }
                }
                sys.fsync(chunks);
            } finally {
                sys.close(chunks);
            }
            for (String name :
                    withTree ? new String[] {".tmp", ".writers"} : new String[] {".tmp", ".writers", RECEIPTS}) {
                sys.close(mkdirAndOpen(sys, rootFolder, name, folderMode));
            }
            int fileMode = isPrivate ? 0600 : 0644;
            if (sys.stat(rootFolder, ".lock") == null) {
                try (var lock = sys.create(rootFolder, ".lock", fileMode)) {
                    sys.fsync(lock);
                }
            }
            if (withTree && sys.stat(rootFolder, TREE) != null) {
                sys.unlink(rootFolder, TREE_PARTIAL); // an interrupted creation's: it was put in place after all
            } else if (withTree) {
                int uid = (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                int gid = (Integer) Files.getAttribute(root, "unix:gid", LinkOption.NOFOLLOW_LINKS);
                boolean sharedMemoryWorks = StoreSync.sharedMemoryWorks(sys.fileSystemType(rootFolder));
                try (TreeBuilder tree = TreeBuilder.start(uid, gid, true, java.time.Clock.systemUTC())) {
                    installTree(sys, rootFolder, tree.finish(sharedMemoryWorks), fileMode);
                }
            }
            sys.fsync(rootFolder);
            // The marker comes last, complete and durable before its rename: a crash at any point leaves
            // either no marker (creating again resumes) or a whole store.
            writeMarker(sys, rootFolder, markerText, fileMode);
        } finally {
            sys.close(rootFolder);
        }
        if (madeRoot && parent != null) {
            Folder parentFolder = sys.openRoot(parent);
            try {
                sys.fsync(parentFolder);
            } finally {
                sys.close(parentFolder);
            }
        }
        return true;
    }

    private static Folder mkdirAndOpen(Syscalls sys, Folder parent, String name, int mode) throws IOException {
        mkdirIfMissing(sys, parent, name, mode);
        Folder folder = sys.openFolder(parent, name);
        sys.fsync(folder);
        return folder;
    }

    /**
     * Writes the marker {@code text} in one atomic step: complete and durable under {@link #MARKER_PARTIAL} first
     * (a leftover of that name is replaced), renamed onto {@link #MARKER}, then the folder fsynced.
     */
    static void writeMarker(Syscalls sys, Folder rootFolder, String text, int mode) throws IOException {
        sys.unlink(rootFolder, MARKER_PARTIAL);
        try (var marker = sys.create(rootFolder, MARKER_PARTIAL, mode)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                marker.write(bytes);
            }
            sys.fsync(marker);
        }
        sys.rename(rootFolder, MARKER_PARTIAL, rootFolder, MARKER);
        sys.fsync(rootFolder);
    }

    /**
     * Puts the closed database {@code built} in place as the store's {@link #TREE}, in one atomic step: copied to
     * {@link #TREE_PARTIAL} (a leftover of that name is replaced) and fsynced, SQLite's files of any earlier
     * {@code tree.db} removed (a log must never meet another database), renamed onto {@link #TREE}, and the
     * folder fsynced. No process may have a {@code tree.db} of this store open.
     */
    static void installTree(Syscalls sys, Folder rootFolder, Path built, int mode) throws IOException {
        sys.unlink(rootFolder, TREE_PARTIAL);
        try (FileChannel out = sys.create(rootFolder, TREE_PARTIAL, mode);
                FileChannel in = FileChannel.open(built, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (in.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                buffer.clear();
            }
            if (out.size() != in.size()) {
                throw new IOException("copied " + out.size() + " of the " + in.size() + " bytes of " + built);
            }
            sys.fsync(out);
        }
        for (String companion : TREE_COMPANIONS) {
            sys.unlink(rootFolder, companion);
        }
        sys.rename(rootFolder, TREE_PARTIAL, rootFolder, TREE);
        sys.fsync(rootFolder);
    }

    private static void mkdirIfMissing(Syscalls sys, Folder parent, String name, int mode) throws IOException {
        try {
            sys.mkdir(parent, name, mode);
        } catch (FileAlreadyExistsException e) {
            // left by a creation that a crash interrupted
        }
    }

    /**
     * Checks that {@code root} is a store this version understands, says exactly what is wrong if not, and
     * opens its folders. Folders that hold nothing durable ({@code .tmp}, {@code .writers}) are made when
     * missing; {@code receipts} is opened if it is there (an earlier release's, or what a conversion left), never
     * made.
     */
    StoreFolders open(Syscalls sys) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new StoreException(
                    "no store at " + root + ": the folder does not exist (create one with 'chunkfs init')");
        }
        Folder rootFolder = sys.openRoot(root);
        java.util.List<Folder> opened = new java.util.ArrayList<>();
        try {
            format = StoreFormat.parse(root, readFormat(sys, rootFolder));
            if (format.hasTree()) {
                FileStat tree = sys.stat(rootFolder, TREE);
                if (tree == null) {
                    throw new StoreException("store " + root + " is damaged: missing its file tree " + treeFile());
                }
                if (!tree.isRegularFile()) {
                    throw new StoreException("store " + root + " is damaged: its file tree " + treeFile()
                            + " is not a regular file (a symlink, or another kind of entry)");
                }
            }
            Folder chunks = requireFolder(sys, rootFolder, ".chunks", opened);
            Folder[] prefixes = new Folder[PREFIXES];
            for (int prefix = 0; prefix < PREFIXES; prefix++) {
                prefixes[prefix] = requireFolder(sys, chunks, prefixName(prefix), opened);
            }
            FileStat lock = sys.stat(rootFolder, ".lock");
            if (lock == null || !lock.isRegularFile()) {
                throw new StoreException(
                        "store " + root + " is damaged: missing lock file " + lockFile() + " (create it with 'touch')");
            }
            boolean isPrivate = (sys.stat(rootFolder, ".").permissions() & 077) == 0;
            int folderMode = isPrivate ? 0700 : 0755;
            Folder tmp = openOrMake(sys, rootFolder, ".tmp", folderMode, opened);
            Folder writers = openOrMake(sys, rootFolder, ".writers", folderMode, opened);
            Folder receipts =
                    sys.stat(rootFolder, RECEIPTS) == null ? null : requireFolder(sys, rootFolder, RECEIPTS, opened);
            return new StoreFolders(sys, rootFolder, chunks, prefixes, tmp, writers, receipts, isPrivate);
        } catch (IOException | RuntimeException e) {
            for (Folder folder : opened) {
                sys.close(folder);
            }
            sys.close(rootFolder);
            throw e;
        }
    }

    /**
     * The marker's text, for {@link StoreFormat#parse}. An empty (or blank) marker next to a whole store is what
     * a crash right after an older release created a store leaves (it did not fsync the marker): it is rewritten
     * rather than refused.
     */
    private String readFormat(Syscalls sys, Folder rootFolder) throws IOException {
        FileStat marker = sys.stat(rootFolder, ".chunkfs");
        if (marker == null || !marker.isRegularFile()) {
            throw new StoreException(
                    root + " is not a chunkfs store (no .chunkfs file; create one with 'chunkfs init')");
        }
        if (marker.size() > 4096) {
            throw new StoreException(
                    root + " has an unknown store format (its .chunkfs file is " + marker.size() + " bytes)");
        }
        byte[] bytes;
        try (var file = sys.openRead(rootFolder, ".chunkfs").channel()) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) marker.size());
            while (buffer.hasRemaining() && file.read(buffer) >= 0) {
                // read the whole marker
            }
            bytes = java.util.Arrays.copyOf(buffer.array(), buffer.position());
        }
        String format = new String(bytes, StandardCharsets.UTF_8);
        if (format.isBlank() && sys.stat(rootFolder, ".chunks") != null) {
            java.util.logging.Logger.getLogger(StoreLayout.class.getName())
                    .warning(() -> "the format marker of " + root
                            + " is empty (a crash right after an early release created the store): writing it again");
            // Only a release before this one could leave an empty marker (this one renames a whole marker into
            // place): it is written as that release would have, and converted as such.
            create(sys, false, StoreFormat.EARLY_MARKER);
            return StoreFormat.EARLY_MARKER;
        }
        return format;
    }

    /** Reads the marker again (another process may have converted the store meanwhile); see {@link #format()}. */
    StoreFormat reread(Syscalls sys, Folder rootFolder) throws IOException {
        format = StoreFormat.parse(root, readFormat(sys, rootFolder));
        return format;
    }

    /** A marker file that holds no more than whitespace is no marker yet: {@link #create} resumes then. */
    private static boolean isBlank(Path marker) throws IOException {
        return Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS)
                && Files.size(marker) <= 4096
                && new String(Files.readAllBytes(marker), StandardCharsets.UTF_8).isBlank();
    }

    private Folder requireFolder(Syscalls sys, Folder parent, String name, java.util.List<Folder> opened)
            throws IOException {
        try {
            Folder folder = sys.openFolder(parent, name);
            opened.add(folder);
            return folder;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StoreException(
                    "store " + root + " is damaged: missing folder " + root.relativize(parent.resolve(name)));
        } catch (PosixException e) {
            throw new StoreException("store " + root + " is damaged: " + root.relativize(parent.resolve(name))
                    + " is not a folder (a symlink or a file where a folder belongs)");
        }
    }

    private Folder openOrMake(Syscalls sys, Folder parent, String name, int mode, java.util.List<Folder> opened)
            throws IOException {
        if (sys.stat(parent, name) == null) {
            mkdirIfMissing(sys, parent, name, mode);
            sys.fsync(parent);
        }
        return requireFolder(sys, parent, name, opened);
    }
}
