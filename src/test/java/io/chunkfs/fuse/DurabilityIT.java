package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code fsync(2)} through the mount promises under {@code sync=filesystem}: whatever the descriptor
 * (a read-only open of a receipt reaches the daemon as a chunk handle), it makes the store durable. The
 * store sync is observed through the mount process's registration in {@code .writers/}, which records
 * when its last completed store sync began.
 */
class DurabilityIT {
    @TempDir
    Path dir;

    @Test
    void fsyncOfAReadOnlyDescriptorSyncsTheStore() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount("sync=filesystem")) {
            fixture.sh("head -c 10000 /dev/urandom > incoming/a").ok();
            long before = lastSync(fixture.store);
            long called = System.currentTimeMillis();
            assertTrue(called > before, "the registration records an earlier sync");
            fixture.sh("python3 -c 'import os; fd = os.open(\"incoming/a\", os.O_RDONLY); os.fsync(fd); os.close(fd)'")
                    .ok();
            assertTrue(lastSync(fixture.store) >= called - 10, "fsync on a read-only descriptor synced the store");

            long beforeData = lastSync(fixture.store);
            long calledData = System.currentTimeMillis();
            assertTrue(calledData > beforeData);
            fixture.sh(
                            "python3 -c 'import os; fd = os.open(\"incoming/a\", os.O_RDONLY); os.fdatasync(fd); os.close(fd)'")
                    .ok();
            assertTrue(lastSync(fixture.store) >= calledData - 10, "fdatasync did too");
        }
    }

    /** When the mount's last completed store sync began, from its registration (fixed-width ASCII). */
    private static long lastSync(Path store) throws Exception {
        List<Path> registrations;
        try (Stream<Path> files = Files.list(store.resolve(".writers"))) {
            registrations = files.filter(f -> !f.getFileName().toString().startsWith("pending-"))
                    .toList();
        }
        assertEquals(1, registrations.size(), registrations.toString());
        String text = Files.readString(registrations.get(0), StandardCharsets.US_ASCII);
        String[] fields = text.trim().split(" +");
        assertEquals("filesystem", fields[1], text);
        return Long.parseLong(fields[2]);
    }
}
