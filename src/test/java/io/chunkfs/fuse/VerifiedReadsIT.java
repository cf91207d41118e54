package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The damaged-chunk table of issue 8 through a real mount: no read path hands out a byte of a damaged
 * chunk, whatever its size (page-aligned ones included), wherever the damage is, however it is read.
 */
class VerifiedReadsIT {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** Every case of the table that let a damaged byte through or did not fail: all reported at the end. */
    private final List<String> problems = new ArrayList<>();

    private void check(boolean ok, String problem) {
        if (!ok) {
            problems.add(problem);
        }
    }

    /** One chunk of the table: its good bytes, and how to damage it (null size: truncated to 0 bytes). */
    private record Case(String label, byte[] good, Digest digest) {
        byte[] damaged(int round) {
            if (label.equals("truncated")) {
                return new byte[0];
            }
            byte[] bad = good.clone();
            int at = switch (round) {
                case 0 -> 0;
                case 1 -> good.length / 2;
                default -> good.length - 1;
            };
            bad[at] ^= 0x5a;
            return bad;
        }

        /** An offset past 16 MiB (where the old check stopped looking) when the chunk has one. */
        long ddOffset() {
            return good.length > 16 * MIB ? 16L * MIB + 4096 : good.length / 2;
        }
    }

    /** Puts the damaged bytes at the chunk's path (a new file, as a bad disk or a careless hand would). */
    private void damage(MountFixture fixture, List<Case> cases, int round) throws Exception {
        for (Case c : cases) {
            Path temp = fixture.dir.resolve("damaged-" + c.label());
            Files.write(temp, c.damaged(round));
            Files.move(temp, fixture.chunkFile(c.digest()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Runs {@code command} (bash, in the mount; {@code $p} the chunk's path, {@code $label}, {@code $d}
     * the digest, {@code $off} an offset, {@code $o} the file that must stay empty) for every case, and
     * checks that each failed and wrote no byte.
     */
    private void everyReadFails(MountFixture fixture, List<Case> cases, String method, String command)
            throws Exception {
        Path out = Files.createDirectories(fixture.dir.resolve("out"));
        StringBuilder list = new StringBuilder();
        for (Case c : cases) {
            list.append(c.label())
                    .append(' ')
                    .append(c.digest())
                    .append(' ')
                    .append(c.ddOffset())
                    .append('\n');
        }
        Files.writeString(out.resolve("list"), list);
        String script = "while read -r label d off; do\n"
                + "  p=${d:0:2}/$d; o=" + out + "/$label.out; rm -f \"$o\"\n"
                + "  ( " + command + " ) > \"$o\" 2> " + out + "/$label.err < /dev/null\n"
                + "  e=$?; s=$(stat -c %s \"$o\" 2>/dev/null || echo 0)\n"
                + "  echo \"$label $e $s $(head -c 300 " + out + "/$label.err | tr '\\n' ' ')\"\n"
                + "done < " + out + "/list\n";
        String report = fixture.sh(script).out();
        List<String> lines = report.lines().collect(Collectors.toList());
        assertEquals(cases.size(), lines.size(), method + ": " + report);
        for (String line : lines) {
            String[] fields = line.split(" ", 4);
            check(!fields[1].equals("0"), method + " of the damaged chunk " + fields[0] + " did not fail: " + line);
            check(fields[2].equals("0"), method + " of " + fields[0] + " handed out bytes of a damaged chunk: " + line);
        }
    }

    private void allSetAside(MountFixture fixture, List<Case> cases, String method) {
        for (Case c : cases) {
            Path file = fixture.chunkFile(c.digest());
            check(
                    !Files.exists(file) && Files.exists(file.resolveSibling(c.digest() + ".0.bad")),
                    method + ": the damaged " + c.label() + " chunk was not set aside");
        }
    }

    /** Puts the set-aside damaged files back at their digest paths (a rename: a new ctime, so checked again). */
    private void putBack(MountFixture fixture, List<Case> cases) throws Exception {
        for (Case c : cases) {
            Path file = fixture.chunkFile(c.digest());
            Path bad = file.resolveSibling(c.digest() + ".0.bad");
            if (Files.exists(bad)) {
                Files.move(bad, file, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void clearSetAside(MountFixture fixture) throws Exception {
        try (Stream<Path> files = Files.walk(StorePaths.chunks(fixture.store))) {
            for (Path bad : files.filter(f -> f.toString().endsWith(".bad")).collect(Collectors.toList())) {
                Files.delete(bad);
            }
        }
    }

    /** The chunks of the store but the empty one, which every new file of the tree names until it is closed. */
    private Set<String> chunkNames(MountFixture fixture) throws Exception {
        String empty = Digest.sha256(new byte[0]).toString();
        try (Stream<Path> files = Files.walk(StorePaths.chunks(fixture.store))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(Digest::isValid)
                    .filter(name -> !name.equals(empty))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void noReadPathHandsOutAByteOfADamagedChunk() throws Exception {
        String[] labels = {"truncated", "1", "4095", "4096", "8192", "1MiB", "17MiB", "33MiB+1"};
        int[] sizes = {3 * 4096, 1, 4095, 4096, 8192, MIB, 17 * MIB, 33 * MIB + 1};
        List<Case> cases = new ArrayList<>();
        Set<String> good = new HashSet<>();
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Path sources = Files.createDirectories(dir.resolve("good"));
            for (int i = 0; i < labels.length; i++) {
                byte[] bytes = TestBytes.random(sizes[i], 100 + i);
                Files.write(sources.resolve("f-" + labels[i]), bytes);
                cases.add(new Case(labels[i], bytes, Digest.sha256(bytes)));
                good.add(Digest.sha256(bytes).toString());
            }
            fixture.sh("cp " + sources + "/f-* incoming/").ok();
            String jar = Path.of(Shell.JAR).toAbsolutePath().toString();
            String[][] methods = {
                {
                    "cat",
                    "cat \"$p\"; r=$?; grep -q 'Input/output error' " + dir
                            + "/out/$label.err && cat \"$p\" || exit 9; exit $r"
                },
                {"head -c 100", "head -c 100 \"$p\""},
                {"dd at an offset", "dd if=\"$p\" bs=65536 count=1 iflag=skip_bytes skip=$off status=none"},
                // The system's python3 if there is one: a pyenv shim costs seconds per start on a busy machine.
                {
                    "mmap",
                    "$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 ) -c 'import mmap, sys\n"
                            + "f = open(sys.argv[1], \"rb\")\n"
                            + "m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)\n"
                            + "sys.stdout.buffer.write(m[:])' \"$p\""
                },
                {"cp out of a receipt", "cp incoming/f-$label \"$o\""},
                {"rewrite of a receipt", "printf XY | dd of=incoming/f-$label bs=1 seek=1 conv=notrunc status=none"},
            };
            for (int round = 0; round < 3; round++) {
                damage(fixture, cases, round);
                for (String[] method : methods) {
                    everyReadFails(fixture, cases, method[0] + " (round " + round + ")", method[1]);
                    allSetAside(fixture, cases, method[0]);
                    putBack(fixture, cases);
                }
                // Copy-on-write never turned damaged bytes into a new, validly named chunk.
                Set<String> made = new HashSet<>(chunkNames(fixture));
                made.removeAll(good);
                check(made.isEmpty(), "round " + round + ": chunks made of damaged bytes: " + made);
                // Every receipt (a name in the store's tree) still names its chunk: no failed read or rewrite moved it.
                Map<String, Digest> receipts = fixture.receipts();
                for (Case c : cases) {
                    check(
                            c.digest().equals(receipts.get("f-" + c.label())),
                            "receipt of " + c.label() + " moved: " + receipts.get("f-" + c.label()));
                }
                // chunkfs get opens the store read-only: it refuses, and verify then sets the chunks aside.
                // A JVM start per get is slow: every size once, the page-aligned and the largest every round.
                List<Case> getCases = round == 1 ? cases : List.of(cases.get(3), cases.get(7));
                everyReadFails(
                        fixture,
                        getCases,
                        "chunkfs get (round " + round + ")",
                        "java -XX:TieredStopAtLevel=1 -jar " + jar + " -s " + fixture.store + " get \"$d\"");
                Shell.Result verify = Shell.chunkfs(dir, "-s", fixture.store.toString(), "verify");
                check(verify.exit() == 1, "verify after get (round " + round + "): " + verify);
                allSetAside(fixture, cases, "verify");
                clearSetAside(fixture);
            }
            damage(fixture, cases, 1);
            Shell.Result getToFile = Shell.chunkfs(
                    dir,
                    "-s",
                    fixture.store.toString(),
                    "get",
                    cases.get(5).digest().toString(),
                    "-o",
                    dir.resolve("got").toString());
            check(getToFile.exit() == 1 && getToFile.err().contains("chunkfs verify"), "get -o: " + getToFile);
            check(!Files.exists(dir.resolve("got")) && !Files.exists(dir.resolve("got.partial")), "get -o left a file");
            Shell.chunkfs(dir, "-s", fixture.store.toString(), "verify");
            clearSetAside(fixture);
            check(
                    Files.readString(fixture.log).contains("is damaged"),
                    "the mount did not log damaged chunks by digest");
            assertEquals(List.of(), problems, problems.size() + " problems");

            // An insert of the right bytes heals every chunk, and reads work again (twice: the second one cached).
            fixture.sh("for f in " + sources + "/f-*; do cp \"$f\" incoming/heal-${f##*/}; done")
                    .ok();
            for (Case c : cases) {
                String path = c.digest().prefix() + "/" + c.digest();
                for (int i = 0; i < 2; i++) {
                    assertEquals(
                            c.digest() + "  " + path + "\n",
                            fixture.sh("sha256sum " + path).ok().out());
                }
                assertEquals(
                        c.digest() + "  -\n",
                        fixture.sh("cat incoming/f-" + c.label() + " | sha256sum")
                                .ok()
                                .out());
            }
            assertEquals(good, chunkNames(fixture));

            // A chunk changed on disk after it was read is caught at the next open: in place (new ctime) ...
            Case one = cases.get(5);
            String path = one.digest().prefix() + "/" + one.digest();
            Path file = fixture.chunkFile(one.digest());
            try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (one.good()[7] ^ 1)}), 7);
            }
            Shell.Result inPlace = fixture.sh("cat " + path + " > " + dir + "/in-place");
            assertNotEquals(0, inPlace.exit());
            assertTrue(inPlace.err().contains("Input/output error"), inPlace.err());
            assertEquals(0, Files.size(dir.resolve("in-place")));
            // ... or replaced by another file (new inode).
            fixture.sh("cp " + sources + "/f-" + one.label() + " incoming/again")
                    .ok();
            fixture.sh("cat " + path + " > /dev/null").ok();
            damage(fixture, List.of(one), 2);
            Shell.Result replaced = fixture.sh("cat " + path + " > " + dir + "/replaced");
            assertNotEquals(0, replaced.exit());
            assertEquals(0, Files.size(dir.resolve("replaced")));
            fixture.sh("cp " + sources + "/f-" + one.label() + " incoming/again2")
                    .ok();
            fixture.unmount();
            assertTrue(fixture.verify().ok(), "the store is valid after all of it");
        }
    }

    @Test
    void verifyOffServesWithoutHashingAndBadValuesAreRefused() throws Exception {
        Shell.Result bad = Shell.chunkfs(
                dir,
                "-s",
                dir.resolve("store").toString(),
                "mount",
                "-o",
                "verify=maybe",
                Files.createDirectories(dir.resolve("elsewhere")).toString());
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("verify=on or verify=off"), bad.err());
        try (MountFixture fixture = new MountFixture(dir).mount("verify=off")) {
            byte[] bytes = TestBytes.random(8192, 1);
            Files.write(dir.resolve("f"), bytes);
            fixture.sh("cp " + dir.resolve("f") + " incoming/f").ok();
            Digest digest = Digest.sha256(bytes);
            String path = digest.prefix() + "/" + digest;
            // Read twice: the second open may keep the kernel's pages (the file was seen and has not changed).
            for (int i = 0; i < 2; i++) {
                assertEquals(
                        digest + "  -\n",
                        fixture.sh("cat " + path + " | sha256sum").ok().out());
            }
            bytes[0] ^= 1;
            Files.write(dir.resolve("bad"), bytes);
            Files.move(dir.resolve("bad"), fixture.chunkFile(digest), StandardCopyOption.REPLACE_EXISTING);
            // The promise of verify=off: the store's file system checks the bytes, chunkfs does not; but a
            // changed file is never answered from pages the kernel kept of the old one (no keep_cache).
            assertEquals(
                    Digest.sha256(bytes) + "  -\n",
                    fixture.sh("cat " + path + " | sha256sum").ok().out());
        }
    }
}
