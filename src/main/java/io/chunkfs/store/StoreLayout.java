package io.chunkfs.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Where everything of a store lives on disk, and the checks that a folder really is a store.
 *
 * <pre>
 * STORE/.chunkfs          format marker: "chunkfs-store 1"
 * STORE/.lock             held exclusively by a running garbage collection
 * STORE/.chunks/00 … ff   the chunks, named by their 64-hex SHA-256
 * STORE/.writers/         one locked file per active write session, named START_MILLIS-ID
 * STORE/.tmp/             temporary files of write sessions, named ID-N
 * STORE/receipts/         the mount's receipts: symlinks NAME -> ../.chunks/PP/DIGEST
 * </pre>
 */
public final class StoreLayout {
    public static final String FORMAT_LINE = "chunkfs-store 1";
    static final int PREFIXES = 256;

    private final Path root;

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

    public Path receiptsDir() {
        return root.resolve("receipts");
    }

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

    /**
     * Creates a store in {@code root} (made if missing). A folder that is already a valid store is
     * left as it is; a non-empty folder that is not a store is refused.
     *
     * @return true if a store was created, false if one was already there
     */
    boolean create() throws IOException {
        if (Files.exists(formatFile(), LinkOption.NOFOLLOW_LINKS)) {
            validate();
            return false;
        }
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new StoreException("cannot create a store at " + root + ": it is not a folder");
        }
        Files.createDirectories(root);
        try (var entries = Files.list(root)) {
            if (entries.findAny().isPresent()) {
                throw new StoreException("cannot create a store in " + root
                        + ": the folder is not empty and is not a chunkfs store");
            }
        }
        Files.createDirectories(chunksDir());
        for (int prefix = 0; prefix < PREFIXES; prefix++) {
            Files.createDirectories(prefixDir(prefix));
        }
        Files.createDirectories(writersDir());
        Files.createDirectories(tmpDir());
        Files.createDirectories(receiptsDir());
        if (!Files.exists(lockFile())) {
            Files.createFile(lockFile());
        }
        // The format file comes last, atomically: a crash mid-create leaves no half store that claims to be whole.
        Path partial = root.resolve(".chunkfs.partial");
        Files.writeString(partial, FORMAT_LINE + "\n", StandardCharsets.UTF_8);
        Files.move(partial, formatFile(), StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Checks that {@code root} is a store this version understands, and says exactly what is wrong if not. */
    void validate() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new StoreException("no store at " + root + ": the folder does not exist (create one with 'chunkfs init')");
        }
        if (!Files.isRegularFile(formatFile(), LinkOption.NOFOLLOW_LINKS)) {
            throw new StoreException(root + " is not a chunkfs store (no .chunkfs file; create one with 'chunkfs init')");
        }
        String format = Files.readString(formatFile(), StandardCharsets.UTF_8).strip();
        if (!format.equals(FORMAT_LINE)) {
            throw new StoreException(root + " has an unknown store format '" + format
                    + "' (this version of chunkfs reads '" + FORMAT_LINE + "')");
        }
        requireDir(chunksDir());
        for (int prefix = 0; prefix < PREFIXES; prefix++) {
            requireDir(prefixDir(prefix));
        }
        if (!Files.isRegularFile(lockFile(), LinkOption.NOFOLLOW_LINKS)) {
            throw new StoreException("store " + root + " is damaged: missing lock file " + lockFile()
                    + " (create it with 'touch')");
        }
        // Folders a newer layout added are recreated rather than refused: they hold nothing durable.
        for (Path dir : new Path[] {writersDir(), tmpDir(), receiptsDir()}) {
            try {
                Files.createDirectories(dir);
            } catch (FileAlreadyExistsException e) {
                throw new StoreException("store " + root + " is damaged: " + dir + " is not a folder");
            } catch (IOException e) {
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
            }
        }
    }

    private void requireDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new StoreException("store " + root + " is damaged: missing folder " + root.relativize(dir));
        }
    }
}
