import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.sql.SqlNamespace;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The tree at scale, through the Namespace seam as the mount uses it: java -cp chunkfs.jar TreeScale.java DIR
 * NAMES PER_FOLDER. Creates NAMES regular files (distinct digests) in folders of PER_FOLDER under a new tree in
 * DIR (sync=filesystem: one durability point at the end), lists one folder page by page, and pages through every
 * digest the tree names (gc's root scan). Prints "create_ms list_ms scan_ms" on one line.
 */
public class TreeScale {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int names = Integer.parseInt(args[1]);
        int perFolder = Integer.parseInt(args[2]);
        long start = System.nanoTime();
        try (Namespace tree =
                SqlNamespace.open(dir, true, false, SyncLevel.FILESYSTEM, Clock.systemUTC(), 0, 0, true)) {
            long folder = 0;
            for (int i = 0; i < names; i++) {
                if (i % perFolder == 0) {
                    folder = tree.create(
                                    Namespace.ROOT, EntryName.of("d" + i / perFolder), NewEntry.folder(0755, 0, 0, i))
                            .inode();
                }
                byte[] digest = new byte[32];
                ByteBuffer.wrap(digest)
                        .putInt(i * 2654435761L > 0 ? (int) (i * 2654435761L) : i)
                        .putInt(i);
                tree.create(folder, EntryName.of("file-" + i), NewEntry.file(Digest.of(digest), 4096, 0644, 0, 0, i));
            }
            tree.sync();
            long created = System.nanoTime();
            int listed = 0;
            EntryName after = null;
            while (true) {
                List<Namespace.Child> page = tree.list(
                        tree.lookup(Namespace.ROOT, EntryName.of("d0"))
                                .orElseThrow()
                                .inode(),
                        after,
                        1000);
                listed += page.size();
                if (page.isEmpty()) {
                    break;
                }
                after = page.get(page.size() - 1).name();
            }
            long list = System.nanoTime();
            int scanned = 0;
            Digest last = null;
            while (true) {
                List<Digest> page = tree.namedDigests(last, 10_000);
                scanned += page.size();
                if (page.isEmpty()) {
                    break;
                }
                last = page.get(page.size() - 1);
            }
            long scan = System.nanoTime();
            if (listed != Math.min(perFolder, names) || scanned != names) {
                throw new AssertionError("listed " + listed + ", scanned " + scanned);
            }
            System.out.println((created - start) / 1_000_000 + " " + (list - created) / 1_000_000 + " "
                    + (scan - list) / 1_000_000);
        }
    }
}
