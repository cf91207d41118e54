package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The receipts of a store made by an earlier release (format 1 or 2), read to convert them into the tree: each
 * is a symlink {@code STORE/receipts/NAME -> ../.chunks/PP/DIGEST}. Links are only ever read, never followed; an
 * entry whose link does not end in a digest (a file, a folder, a link elsewhere) is no receipt and is skipped.
 */
public final class LocalReceipts {
    private final Syscalls sys;
    private final Folder folder;

    LocalReceipts(Syscalls sys, Folder folder) {
        this.sys = sys;
        this.folder = folder;
    }

    /** A receipt: {@code incoming/name} held the chunk {@code digest}. */
    public record Receipt(String name, Digest digest) {}

    /** Every receipt, sorted by name. */
    public List<Receipt> list() throws IOException {
        List<Receipt> receipts = new ArrayList<>();
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

    private static Digest digestOf(String linkTarget) {
        if (linkTarget == null) {
            return null;
        }
        String file = linkTarget.substring(linkTarget.lastIndexOf('/') + 1);
        return Digest.isValid(file) ? Digest.parse(file) : null;
    }
}
