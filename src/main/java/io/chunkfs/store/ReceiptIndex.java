package io.chunkfs.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The mount's receipts: which digest a file written to {@code incoming/NAME} became (a name to a digest).
 * Durability follows the store's sync level: under {@link SyncLevel#FILE} a change is durable when the call
 * returns. A receipt is made only after its chunk is durable. Thread-safe.
 */
public interface ReceiptIndex {
    /** A receipt: {@code incoming/name} holds the chunk {@code digest}. */
    record Receipt(String name, Digest digest) {}

    /** Whether the store holds a chunk, for {@link #removeDangling}. */
    interface Presence {
        boolean holds(Digest digest) throws IOException;
    }

    /** The digest a receipt names, or empty if there is no such receipt. */
    Optional<Digest> get(String name) throws IOException;

    /** Records (or atomically replaces) a receipt. */
    void put(String name, Digest digest) throws IOException;

    /** Drops a receipt (never its chunk); false if there was none. */
    boolean remove(String name) throws IOException;

    /** Renames a receipt, replacing one of the new name. */
    void rename(String from, String to) throws IOException;

    /** Every receipt, sorted by name. */
    List<Receipt> list() throws IOException;

    /** Removes receipts whose chunk the store no longer holds; returns how many. */
    long removeDangling(Presence store) throws IOException;

    /** Refuses names that are not a single path component a file system accepts. */
    static void checkName(String name) {
        if (name.isEmpty()
                || name.equals(".")
                || name.equals("..")
                || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: '" + name + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("file name longer than 255 bytes");
        }
    }
}
