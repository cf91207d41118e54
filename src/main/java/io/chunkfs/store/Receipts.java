package io.chunkfs.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mount's receipts: which digest a file written to {@code incoming/NAME} became. Each is a
 * symlink {@code STORE/receipts/NAME -> ../.chunks/PP/DIGEST}, so that they survive a remount and
 * plain {@code ls -l} explains them. Links are only ever read, never followed: a link planted to point
 * elsewhere yields no digest.
 */
public final class Receipts {
    /** A receipt: {@code incoming/name} holds the chunk {@code digest}. */
    public record Receipt(String name, Digest digest) {
    }

    private final StoreLayout layout;

    public Receipts(StoreLayout layout) {
        this.layout = layout;
    }

    /** Refuses names that are not a single path component a file system accepts. */
    public static void checkName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: '" + name + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("file name longer than 255 bytes");
        }
    }

    /** The digest a receipt names, or empty if there is no such receipt. */
    public Optional<Digest> get(String name) throws IOException {
        checkName(name);
        try {
            return Optional.ofNullable(digestOf(Files.readSymbolicLink(layout.receiptsDir().resolve(name))));
        } catch (NoSuchFileException | NotLinkException e) {
            return Optional.empty();
        }
    }

    /**
     * Records (or replaces) a receipt atomically: the link is made at {@code tempLink}, a path on the
     * same file system that nobody else uses, then renamed over.
     */
    public void put(String name, Digest digest, Path tempLink) throws IOException {
        checkName(name);
        Path target = Path.of("..", ".chunks", digest.prefix(), digest.toString());
        try {
            Files.createSymbolicLink(layout.receiptsDir().resolve(name), target);
            return;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // replace it atomically below
        }
        Files.deleteIfExists(tempLink);
        Files.createSymbolicLink(tempLink, target);
        try {
            Files.move(tempLink, layout.receiptsDir().resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tempLink);
        }
    }

    /** Drops a receipt (never its chunk); false if there was none. */
    public boolean remove(String name) throws IOException {
        checkName(name);
        return Files.deleteIfExists(layout.receiptsDir().resolve(name));
    }

    /** Renames a receipt, replacing one of the new name. */
    public void rename(String from, String to) throws IOException {
        checkName(from);
        checkName(to);
        Files.move(layout.receiptsDir().resolve(from), layout.receiptsDir().resolve(to), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Every receipt, sorted by name. */
    public List<Receipt> list() throws IOException {
        List<Receipt> receipts = new ArrayList<>();
        try (DirectoryStream<Path> links = Files.newDirectoryStream(layout.receiptsDir())) {
            for (Path link : links) {
                Digest digest = readQuietly(link);
                if (digest != null) {
                    receipts.add(new Receipt(link.getFileName().toString(), digest));
                }
            }
        }
        receipts.sort((a, b) -> a.name().compareTo(b.name()));
        return receipts;
    }

    /** Removes receipts whose chunk is gone; returns how many. */
    long removeDangling() throws IOException {
        long removed = 0;
        try (DirectoryStream<Path> links = Files.newDirectoryStream(layout.receiptsDir())) {
            for (Path link : links) {
                Digest digest = readQuietly(link);
                if (digest != null && !Files.exists(layout.chunkPath(digest), LinkOption.NOFOLLOW_LINKS)
                        && Files.deleteIfExists(link)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static Digest readQuietly(Path link) throws IOException {
        try {
            return digestOf(Files.readSymbolicLink(link));
        } catch (NoSuchFileException | NotLinkException e) {
            return null;
        }
    }

    private static Digest digestOf(Path linkTarget) {
        Path file = linkTarget.getFileName();
        return file != null && Digest.isValid(file.toString()) ? Digest.parse(file.toString()) : null;
    }
}
