package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real programs writing into {@code incoming/} and, in the same test, into a bindfs mount over a plain
 * folder: each must exit as it does on bindfs, print no warning bindfs does not, and round-trip its
 * bytes (source sha256 = digest xattr = content of {@code PP/DIGEST}). Then readers copy a prefix
 * folder out of the mount. Prints the exit-code table.
 */
class ProgramsIT {
    /**
     * A program run with $S (a flat source folder with user xattrs), $T (tarballs), $W (a scratch
     * folder outside the mounts) and $D (the destination folder), and the names it leaves in $D:
     * "OUT" or "OUT=SOURCE" when OUT must hold the bytes of $S/SOURCE.
     */
    record Program(String name, String script, String... outputs) {}

    static final List<Program> PROGRAMS = List.of(
            new Program(
                    "cp -a dir/.",
                    "cp -a \"$S/.\" \"$D/\"",
                    "a.bin=a.bin",
                    "x.bin=x.bin",
                    "text.txt=text.txt",
                    "empty=empty",
                    "with space.txt=with space.txt"),
            new Program("cp -p", "cp -p \"$S/a.bin\" \"$D/\"", "a.bin=a.bin"),
            new Program("cp --preserve=all", "cp --preserve=all \"$S/x.bin\" \"$D/\"", "x.bin=x.bin"),
            new Program("install -m 644", "install -m 644 \"$S/a.bin\" \"$D/inst.bin\"", "inst.bin=a.bin"),
            new Program("rsync -a", "rsync -a \"$S/\" \"$D/\"", "a.bin=a.bin", "x.bin=x.bin", "text.txt=text.txt"),
            new Program("rsync -a --inplace", "rsync -a --inplace \"$S/\" \"$D/\"", "a.bin=a.bin", "x.bin=x.bin"),
            new Program(
                    "rsync -aX (user xattrs)",
                    "rsync -aX \"$S/\" \"$D/\"",
                    "a.bin=a.bin",
                    "x.bin=x.bin",
                    "with space.txt=with space.txt"),
            new Program("tar -x with ./", "tar -C \"$D\" -xf \"$T/dot.tar\"", "a.bin=a.bin", "text.txt=text.txt"),
            new Program("tar -x without ./", "tar -C \"$D\" -xf \"$T/plain.tar\"", "a.bin=a.bin", "x.bin=x.bin"),
            new Program(
                    "sed -i", "cp \"$S/text.txt\" \"$D/sed.txt\" && sed -i 's/line/LINE/' \"$D/sed.txt\"", "sed.txt"),
            new Program(
                    "mv from /tmp",
                    "cp -p \"$S/a.bin\" \"$W/moved.bin\" && mv \"$W/moved.bin\" \"$D/\"",
                    "moved.bin=a.bin"),
            new Program(
                    "python shutil.copy2 (xattrs)",
                    "python3 -c 'import shutil,sys; shutil.copy2(sys.argv[1], sys.argv[2])' \"$S/x.bin\" \"$D/copy2.bin\"",
                    "copy2.bin=x.bin"),
            new Program(
                    "python shutil.copytree (xattrs)",
                    "python3 -c 'import shutil,sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)' "
                            + "\"$S\" \"$D\"",
                    "a.bin=a.bin",
                    "x.bin=x.bin",
                    "empty=empty"),
            new Program(
                    "dd conv=fsync",
                    "dd if=\"$S/a.bin\" of=\"$D/dd.bin\" bs=64k conv=fsync status=none",
                    "dd.bin=a.bin"),
            new Program("split -b", "split -b 100k \"$S/a.bin\" \"$D/part.\"", "part.aa", "part.ab", "part.ac"),
            new Program("cat >", "cat \"$S/a.bin\" > \"$D/cat.bin\"", "cat.bin=a.bin"),
            new Program(
                    ">> append",
                    "cat \"$S/text.txt\" > \"$D/log.txt\" && echo more >> \"$D/log.txt\" "
                            + "&& echo again >> \"$D/log.txt\"",
                    "log.txt"),
            new Program(
                    "sqlite3 create/update/reopen",
                    "sqlite3 \"$D/db.sqlite\" 'create table t(k integer primary key, v text);"
                            + " insert into t(v) values (\"one\"), (\"two\");'"
                            + " && for i in 1 2 3; do sqlite3 \"$D/db.sqlite\" \"insert into t(v) values ('n$i');"
                            + " update t set v = v || '+' where k = 1;\"; done"
                            + " && sqlite3 \"$D/db.sqlite\" 'pragma integrity_check; select * from t;'",
                    "db.sqlite"));

    record Run(int exit, String out, String err) {}

    @Test
    void programsBehaveAsOnBindfsAndRoundTripTheirBytes(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("src"));
        makeSource(source);
        Path tarballs = Files.createDirectories(dir.resolve("tarballs"));
        Shell.bash(dir, "tar -C src -cf tarballs/dot.tar . && tar -C src -cf tarballs/plain.tar a.bin x.bin")
                .ok();
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Path bindMount = Files.createDirectories(dir.resolve("bindfs"));
        Path scratch = Files.createDirectories(dir.resolve("scratch"));
        try (MountFixture chunkfs = new MountFixture(dir).mount();
                BindFs bindfs = BindFs.mount(plain, bindMount)) {
            Path incoming = chunkfs.mnt.resolve("incoming");
            List<String> table = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            table.add(String.format(java.util.Locale.ROOT, "%-34s %8s %8s", "program", "chunkfs", "bindfs"));
            for (Program program : PROGRAMS) {
                Run onChunkfs = run(program, source, tarballs, scratch, incoming);
                Run onBindfs = run(program, source, tarballs, scratch, bindMount);
                table.add(String.format(
                        java.util.Locale.ROOT, "%-34s %8d %8d", program.name(), onChunkfs.exit(), onBindfs.exit()));
                if (onChunkfs.exit() != onBindfs.exit()) {
                    failures.add(program.name() + ": exit " + onChunkfs.exit() + " on chunkfs, " + onBindfs.exit()
                            + " on bindfs; stderr: " + onChunkfs.err());
                }
                Set<String> extraWarnings = new LinkedHashSet<>(lines(onChunkfs.err()));
                extraWarnings.removeAll(lines(onBindfs.err()));
                if (!extraWarnings.isEmpty()) {
                    failures.add(program.name() + ": warnings bindfs does not print: " + extraWarnings);
                }
                if (!onChunkfs.out().equals(onBindfs.out())) {
                    failures.add(program.name() + ": output differs: " + onChunkfs.out() + " vs " + onBindfs.out());
                }
                for (String output : program.outputs()) {
                    String problem = roundTrip(chunkfs, output, source, bindMount);
                    if (problem != null) {
                        failures.add(program.name() + ": " + problem);
                    }
                }
                // The next program starts from empty folders, as a fresh destination.
                Shell.bash(
                                dir,
                                "rm -f \"" + incoming + "\"/* \"" + incoming + "\"/.[!.]* && rm -rf \"" + bindMount
                                        + "\"/* \"" + bindMount + "\"/.[!.]*")
                        .ok();
            }
            System.out.println(String.join("\n", table));
            if (!failures.isEmpty()) {
                fail(String.join("\n", table) + "\n" + String.join("\n", failures));
            }
            readersCopyAPrefixFolderOut(chunkfs, dir, source);
        }
    }

    /** Readers out of the mount: every copy of a prefix folder holds each chunk's bytes under its name. */
    private static void readersCopyAPrefixFolderOut(MountFixture chunkfs, Path dir, Path source) throws Exception {
        chunkfs.sh("cp \"" + source + "/a.bin\" incoming/again.bin").ok();
        String prefix =
                Digest.sha256(Files.readAllBytes(source.resolve("a.bin"))).prefix();
        Path out = Files.createDirectories(dir.resolve("out"));
        String check = " && cd \"$O\" && for f in *; do [ \"$(sha256sum < \"$f\" | cut -c1-64)\" = \"$f\" ] "
                + "|| { echo \"bad copy $f\"; exit 1; }; done && ls | wc -l";
        for (String reader : List.of(
                "cp -a " + prefix + " \"$O\"",
                "mkdir \"$O\" && tar -cf - " + prefix + " | tar -C \"$O\" -xf - --strip-components=1",
                "rsync -a " + prefix + "/ \"$O/\"")) {
            Path into = out.resolve("r" + Math.abs(reader.hashCode()));
            Shell.Result result = chunkfs.sh("export O=" + into + "; " + reader + check);
            assertEquals(0, result.exit(), reader + ": " + result.err());
            assertEquals("", result.err(), reader + " printed warnings");
            assertTrue(Integer.parseInt(result.out().strip()) >= 1, reader + " copied no chunk");
        }
        Shell.Result sums =
                chunkfs.sh("find " + prefix + " -type f | xargs sha256sum").ok();
        for (String line : sums.out().strip().split("\n")) {
            String[] parts = line.split("\\s+");
            assertTrue(parts[1].endsWith("/" + parts[0]), "find | xargs sha256sum: " + line);
        }
        assertEquals("", sums.err());
        assertTrue(chunkfs.verify().ok(), "the store verifies after every program");
    }

    private static Run run(Program program, Path source, Path tarballs, Path scratch, Path destination) {
        String script = "export S='" + source + "' T='" + tarballs + "' W='" + scratch + "' D='" + destination + "'\n"
                + program.script();
        Shell.Result result = Shell.bash(scratch, script);
        // Paths differ between the two destinations: compare what the program said, not where.
        return new Run(
                result.exit(),
                result.out().replace(destination.toString(), "$D"),
                result.err().replace(destination.toString(), "$D"));
    }

    /** Null if OUT round-trips: digest xattr = sha256 of PP/DIGEST = sha256 on bindfs (= sha256 of its source). */
    private static String roundTrip(MountFixture chunkfs, String output, Path source, Path bindMount) throws Exception {
        String[] parts = output.split("=", 2);
        String name = parts[0];
        Path reference = bindMount.resolve(name);
        if (!Files.exists(reference)) {
            return name + " missing on bindfs";
        }
        String expected = Digest.sha256(Files.readAllBytes(reference)).toString();
        if (parts.length == 2) {
            String fromSource =
                    Digest.sha256(Files.readAllBytes(source.resolve(parts[1]))).toString();
            if (!fromSource.equals(expected)) {
                return name + " on bindfs differs from its source";
            }
        }
        Shell.Result digest = chunkfs.sh("d=$(getfattr --only-values -n user.chunkfs.digest \"incoming/" + name + "\")"
                + " && echo \"$d\" && sha256sum < \"${d:0:2}/$d\" | cut -c1-64 && sha256sum < \"incoming/" + name
                + "\" | cut -c1-64");
        if (digest.exit() != 0) {
            return name + ": " + digest.err().strip();
        }
        List<String> got = Arrays.asList(digest.out().strip().split("\n"));
        if (!got.equals(List.of(expected, expected, expected))) {
            return name + ": expected " + expected + " as digest xattr, PP/DIGEST and receipt, got " + got;
        }
        return null;
    }

    private static List<String> lines(String text) {
        return text.isBlank() ? List.of() : Arrays.asList(text.strip().split("\n"));
    }

    private static void makeSource(Path source) throws Exception {
        Random random = new Random(11);
        byte[] big = new byte[300_000];
        random.nextBytes(big);
        Files.write(source.resolve("a.bin"), big);
        byte[] small = new byte[65_536];
        random.nextBytes(small);
        Files.write(source.resolve("x.bin"), small);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            text.append("line ").append(i).append('\n');
        }
        Files.writeString(source.resolve("text.txt"), text);
        Files.write(source.resolve("empty"), new byte[0]);
        Files.writeString(source.resolve("with space.txt"), "spaced\n");
        Shell.bash(
                        source,
                        "setfattr -n user.origin -v test a.bin && setfattr -n user.origin -v test x.bin"
                                + " && setfattr -n user.note -v 'two words' x.bin && setfattr -n user.origin -v s 'with space.txt'"
                                + " && chmod 600 x.bin && touch -d 2001-02-03 a.bin")
                .ok();
    }

    /** A bindfs mount of a plain folder: the reference for what a local file system answers. */
    record BindFs(Path mountPoint) implements AutoCloseable {
        static BindFs mount(Path folder, Path mountPoint) {
            MountFixture.requireFuse();
            Shell.Result result = Shell.bash(folder, "bindfs \"" + folder + "\" \"" + mountPoint + "\"");
            if ("true".equals(System.getenv("CI"))) {
                result.ok();
            } else {
                io.chunkfs.testing.Requirement.require(result.exit() == 0, "bindfs is not available: " + result.err());
            }
            return new BindFs(mountPoint);
        }

        @Override
        public void close() {
            Shell.bash(mountPoint, "cd / && fusermount -u \"" + mountPoint + "\"")
                    .ok();
        }
    }
}
