package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.TestBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mount widens the kernel's read-ahead window (root only), and reads with the wider window are exact. */
class ReadAheadIT {
    @Test
    void aRootMountReadsAheadFurtherAndStillServesExactBytes(@TempDir Path dir) throws Exception {
        boolean root = "0".equals(Shell.bash(dir, "id -u").out().strip());
        io.chunkfs.testing.Requirement.require(root, "only root may widen a mount's read-ahead window");
        try (MountFixture mount = new MountFixture(dir).mount()) {
            Path setting = ReadAhead.settingOf((Long) Files.getAttribute(mount.mnt, "unix:dev"));
            // The fixture sees the mount in the mount table a moment before the mount process widens the window.
            String wanted = Integer.toString(ReadAhead.KIB);
            Await.until(
                    Duration.ofSeconds(30),
                    "read_ahead_kb " + wanted + " at " + setting,
                    () -> wanted.equals(Files.readString(setting).strip()));

            byte[] bytes = TestBytes.random((5 << 20) + 12345, 3);
            Files.write(dir.resolve("src"), bytes);
            mount.sh("cp " + dir.resolve("src") + " incoming/big").ok();
            Digest digest = Digest.sha256(bytes);
            String path = digest.prefix() + "/" + digest;
            // Cold: the page cache of both the chunk file and the mount dropped, so the kernel reads ahead.
            Shell.bash(dir, "sync; echo 3 > /proc/sys/vm/drop_caches").ok();
            assertEquals(
                    digest.toString(),
                    mount.sh("sha256sum " + path + " | cut -c1-64").ok().out().strip());
            assertEquals(
                    digest.toString(),
                    mount.sh("dd if=" + path + " bs=4k status=none | sha256sum | cut -c1-64")
                            .ok()
                            .out()
                            .strip());
        }
    }
}
