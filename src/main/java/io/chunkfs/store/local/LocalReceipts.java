package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The receipts of a store made by an earlier release (format 1 or 2), read to convert them into the tree
 * ({@link TreeConversion}): each is a symlink {@code STORE/receipts/NAME -> ../.chunks/PP/DIGEST}. Links are only
 * ever read, never followed; an entry whose link does not end in a digest (a file, a folder, a link elsewhere) is
 * no receipt and is skipped. A store without {@code receipts/} has none.
 */
public final class LocalReceipts {
    private final Syscalls sys;
    private final Folder folder;

    /** The receipts in {@code folder}; none if it is null. */
    LocalReceipts(Syscalls sys, Folder folder) {
        this.sys = sys;
        this.folder = folder;
    }

    /** A receipt: {@code incoming/name} held the chunk {@code digest}. */
    public record Receipt(String name, Digest digest) {}

    /** Every receipt, sorted by name. */
    public List<Receipt> list() throws IOException {
        List<Receipt> receipts = new ArrayList<>();
        if (folder == null) {
            return receipts;
        }
        try (Stream<String> names = sys.list(folder)) {
            for (String name : (Iterable<String>) names::iterator) {
                Digest digest = digestOf(sys.readlink(folder, name));
                if (digest != null) {
                    receipts.add(new Receipt(name, digest));
                }
            }
        }
        receipts.sort((a, b) -> a.name().compareTo(b.name()));
        return receipts;
    }

    /**
     * When the receipt {@code name} was made (its symlink's modification time, nanoseconds since the epoch), or
     * empty if it is gone.
     */
    OptionalLong madeAt(String name) throws IOException {
        FileStat link = folder == null ? null : sys.stat(folder, name);
        return link == null
                ? OptionalLong.empty()
                : OptionalLong.of(link.mtime().to(TimeUnit.NANOSECONDS));
    }

    private static Digest digestOf(String linkTarget) {
        if (linkTarget == null) {
            return null;
        }
        String file = linkTarget.substring(linkTarget.lastIndexOf('/') + 1);
        return Digest.isValid(file) ? Digest.parse(file) : null;
    }
}
