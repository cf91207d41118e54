package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Another user gets nothing through the mount unless allow_other, and can never change chunks. */
class SecurityIT {
    static final String USER = "chunkfs-test";

    @TempDir
    Path dir;

    @BeforeAll
    static void otherUser() {
        boolean root = "0".equals(Shell.bash(Path.of("/"), "id -u").out().strip());
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(root, "CI runs the security tests as root, to create the other user");
        } else {
            io.chunkfs.testing.Requirement.require(root, "needs root to create a second user");
        }
        Shell.bash(
                        Path.of("/"),
                        "id " + USER + " >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin " + USER)
                .ok();
    }

    private Shell.Result asOtherUser(String script) {
        return Shell.run(dir, Map.of(), List.of("runuser", "-u", USER, "--", "bash", "-c", script), 60);
    }

    @Test
    void otherUsersAreKeptOutUnlessAllowOther() throws Exception {
        // The test folders must be reachable by the other user, or every check below would pass for the wrong reason.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("printf secret > incoming/s").ok();
            String digest =
                    Digest.sha256("secret".getBytes(StandardCharsets.UTF_8)).toString();
            String chunk = fixture.mnt + "/" + digest.substring(0, 2) + "/" + digest;

            for (String attempt : new String[] {
                "ls " + fixture.mnt, "cat " + chunk, "echo x > " + fixture.mnt + "/incoming/y", "touch " + chunk
            }) {
                Shell.Result result = asOtherUser(attempt);
                assertTrue(result.exit() != 0, attempt + " must be refused: " + result);
                assertTrue(result.err().contains("Permission denied"), result.err());
            }

            fixture.unmount();
            fixture.mount("allow_other");
            assertEquals("secret", asOtherUser("cat " + chunk).ok().out(), "allow_other lets others read");
            for (String attempt : new String[] {
                "echo x > " + fixture.mnt + "/incoming/y", "touch " + chunk, "rm " + fixture.mnt + "/incoming/s"
            }) {
                Shell.Result result = asOtherUser(attempt);
                assertTrue(result.exit() != 0, attempt + " must be refused: " + result);
                assertTrue(result.err().contains("Permission denied"), result.err());
            }

            // Nor through the backing folder: chunks are 0444, folders are not writable by others.
            Path backing = StorePaths.chunk(fixture.store, digest);
            assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(backing)));
            for (String attempt : new String[] {
                "echo x >> " + backing,
                "rm -f " + backing,
                "echo x > " + backing.getParent() + "/new",
                "chmod 666 " + backing,
                "echo x >> " + fixture.store + "/tree.db",
                "echo x > " + fixture.store + "/tree.db-journal"
            }) {
                assertTrue(asOtherUser(attempt).exit() != 0, attempt + " must be refused");
            }
            assertEquals("secret", Files.readString(backing));
            assertTrue(fixture.verify().ok());
        }
    }
}
