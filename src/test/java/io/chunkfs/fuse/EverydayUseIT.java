package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What everyday tools run into on a mount: attributes, the incoming/ folder, rewrites under a reader. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EverydayUseIT {
    MountFixture mount;
    Path work;

    @BeforeAll
    void mount(@TempDir Path dir) throws Exception {
        mount = new MountFixture(dir).mount();
        work = Files.createDirectories(dir.resolve("work"));
    }

    @AfterAll
    void unmount() throws Exception {
        mount.close();
        assertTrue(mount.verify().ok(), "store verifies after the whole class");
    }

    private String digestXattr(String name) {
        return mount.sh("getfattr --only-values -n user.chunkfs.digest 'incoming/" + name + "'")
                .ok()
                .out()
                .strip();
    }

    @Test
    void refusedAttributeChangesAnswerEopnotsupp() {
        mount.sh("echo kept > incoming/eop").ok();
        String errno = mount.sh("python3 -c \"import os\ntry:\n    os.setxattr('incoming/eop', 'security.x', b'1')\n"
                        + "except OSError as e:\n    print(e.errno)\"")
                .ok()
                .out()
                .strip();
        assertEquals("95", errno, "EOPNOTSUPP, on which coreutils falls back quietly (jnr's ENOTSUP() is 45)");
        assertEquals(
                "95",
                mount.sh("python3 -c \"import os\ntry:\n    os.setxattr('.', 'user.x', b'1')\n"
                                + "except OSError as e:\n    print(e.errno)\"")
                        .ok()
                        .out()
                        .strip(),
                "the root's attributes are fixed");
    }

    @Test
    void userAttributesAreKeptAndTheDigestAttributeIsReserved() {
        mount.sh("printf 'attr test' > incoming/attrs").ok();
        String digest =
                Digest.sha256("attr test".getBytes(StandardCharsets.UTF_8)).toString();
        mount.sh("setfattr -n user.origin -v somewhere incoming/attrs && setfattr -x user.chunkfs.digest incoming/attrs"
                        + " && setfattr -n user.chunkfs.digest -v forged incoming/attrs && setfattr -n user.x -v 1 incoming"
                        + " && setfattr -x user.x incoming")
                .ok();
        assertEquals(digest, digestXattr("attrs"), "the digest stays readable and correct");
        assertEquals(
                "user.origin",
                mount.sh("getfattr --absolute-names -m - incoming/attrs | grep -v '^#'")
                        .ok()
                        .out()
                        .strip(),
                "the attribute set is kept; the reserved digest attribute is neither stored nor listed");
        assertEquals(
                "somewhere",
                mount.sh("getfattr --only-values -n user.origin incoming/attrs")
                        .ok()
                        .out());
        assertTrue(
                mount.sh("getfattr -n user.x incoming").fails().err().contains("No such attribute"), "removed again");
    }

    @Test
    void timesOwnerAndModeOfIncomingAreKept() {
        mount.sh("touch -d '2001-02-03 04:05:06.5' incoming && chmod 700 incoming && chown 1:1 incoming"
                        + " && chmod 1755 incoming/.")
                .ok();
        assertEquals(
                "1755 1 1 981173106.500000000\n",
                mount.sh("stat -c '%a %u %g %.9Y' incoming").ok().out(),
                "kept as set");
        mount.sh("chown 0:0 incoming && chmod 755 incoming").ok();
        Shell.Result root = mount.sh("chmod 700 . ; echo $?; touch -d 2001-02-03 00; echo $?");
        assertEquals("1\n1\n", root.out(), "the root and prefix folders stay refused: " + root.err());
    }

    @Test
    void aReaderOpenedBeforeARewriteReadsTheOldVersion() throws Exception {
        byte[] old = TestBytes.random(300_000, 4);
        byte[] rewritten = TestBytes.random(100_000, 5);
        Files.write(work.resolve("old"), old);
        Files.write(work.resolve("new"), rewritten);
        mount.sh("cp " + work.resolve("old") + " incoming/pinned").ok();
        String script = String.join(
                "\n",
                "import hashlib, os, subprocess, sys",
                "fd = os.open('incoming/pinned', os.O_RDONLY)",
                "head = os.read(fd, 1000)",
                "subprocess.run(['cp', sys.argv[1], 'incoming/pinned'], check=True)",
                "print(os.stat('incoming/pinned').st_size)",
                "rest = b''",
                "while True:",
                "    piece = os.read(fd, 65536)",
                "    if not piece:",
                "        break",
                "    rest += piece",
                "print(len(head + rest), hashlib.sha256(head + rest).hexdigest())");
        String[] out = mount.sh("python3 - " + work.resolve("new") + " <<'EOF'\n" + script + "\nEOF")
                .ok()
                .out()
                .split("\n");
        assertEquals("100000", out[0], "stat by path shows the new version");
        assertEquals("300000 " + Digest.sha256(old), out[1], "the fd reads exactly the old bytes");
        assertEquals(Digest.sha256(rewritten).toString(), digestXattr("pinned"));
    }

    @Test
    void truncatingAChunkIsEaccesAsTheReadmeSays() {
        mount.sh("printf 'truncate me' > incoming/trunc").ok();
        String digest = digestXattr("trunc");
        String chunk = digest.substring(0, 2) + "/" + digest;
        assertEquals(
                "13",
                mount.sh("python3 -c \"import os\ntry:\n    os.truncate('" + chunk + "', 0)\n"
                                + "except OSError as e:\n    print(e.errno)\"")
                        .ok()
                        .out()
                        .strip(),
                "truncate(2): EACCES");
        assertTrue(mount.sh("truncate -s 0 " + chunk).fails().err().contains("Permission denied"));
        mount.sh("touch " + chunk).ok();
        assertEquals("11", mount.sh("stat -c %s " + chunk).ok().out().strip());
    }

    @Test
    void aFileWhoseChunkIsGoneIsNotListedUntilWrittenAgain() throws Exception {
        mount.sh("printf 'soon gone' > incoming/dangling").ok();
        Digest digest = Digest.sha256("soon gone".getBytes(StandardCharsets.UTF_8));
        Files.delete(StorePaths.chunk(mount.store, digest));
        Shell.Result listing = mount.sh("ls -l incoming/");
        assertEquals(0, listing.exit(), listing.err());
        assertFalse(listing.out().contains("?"), listing.out());
        assertFalse(listing.out().contains("dangling"), listing.out());
        assertEquals(
                "back",
                mount.sh("printf 'back' > incoming/dangling && cat incoming/dangling")
                        .ok()
                        .out());
    }

    @Test
    void theRootCountsItsSubfolders() {
        assertEquals(
                "259 258",
                mount.sh("echo $(stat -c %h .) $(find . -maxdepth 1 -type d | wc -l)")
                        .ok()
                        .out()
                        .strip(),
                "2 + incoming + 256 prefix folders");
    }
}
