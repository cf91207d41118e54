package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.fuse.TreeManifest.Manifest;
import io.chunkfs.testing.Requirement;
import io.chunkfs.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code incoming/} as a POSIX file tree, checked with real programs: each scenario runs the same shell command in
 * {@code incoming/SCENARIO} of a chunkfs mount and in {@code SCENARIO} of a bindfs mount over a plain folder (the
 * reference: what a local file system answers through the same libfuse 2 API), then compares the exit codes, stderr
 * (with each side's paths replaced by {@code $D} and {@code $W}), stdout where the program prints the same thing
 * twice, and the {@link TreeManifest} of both resulting trees: every entry's type, mode, owner, nlink, mtime, size,
 * device numbers, symbolic link target, bytes, sparseness, extended attributes (ACLs included) and hard-link group.
 * The source the programs copy holds every file type, odd modes, owners, times, xattrs, ACLs, a hard-link pair, a
 * sparse file and a Latin-1 name. The last scenario remounts the store and collects garbage: the whole of
 * {@code incoming/} must be the same, inode numbers included, and verify clean.
 *
 * <p>Both mounts come up once for the class, and each scenario runs on both at once. bindfs 1.14 (Debian 12) drops an
 * mtime set alone ({@code touch -m}, {@code tar -x}): there the mtimes chunkfs must show after {@code tar -x} are the
 * source's. With {@code -Dtreeprograms.subject=bindfs} the chunkfs side is a second bindfs mount: every scenario must
 * then pass, which checks the comparison itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TreeProgramsIT {
    /** Environment of every command; HOME, $W and the caches of git, restic and borg are per side and scenario. */
    private static final Map<String, String> ENVIRONMENT = Map.ofEntries(
            Map.entry("TZ", "UTC"),
            Map.entry("GIT_CONFIG_NOSYSTEM", "1"),
            Map.entry("GIT_AUTHOR_NAME", "Tree Test"),
            Map.entry("GIT_AUTHOR_EMAIL", "tree@example.org"),
            Map.entry("GIT_AUTHOR_DATE", "2005-04-07T22:13:13Z"),
            Map.entry("GIT_COMMITTER_NAME", "Tree Test"),
            Map.entry("GIT_COMMITTER_EMAIL", "tree@example.org"),
            Map.entry("GIT_COMMITTER_DATE", "2005-04-07T22:13:13Z"),
            Map.entry("RESTIC_PASSWORD", "tree-test"),
            Map.entry("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes"),
            Map.entry("BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes"));

    /**
     * The source tree, made as root in a plain folder: folders, files, a hard-link pair, symbolic links (one
     * dangling), a FIFO, a unix socket, a character device, modes 0600/0755/4755/0750, other owners, user xattrs,
     * an access and a default ACL, a 10 MiB sparse file with bytes in the middle, a Latin-1 name; every entry
     * with its own mtime to the nanosecond. Then a tar archive (with xattrs and ACLs) and a zip of it.
     */
    private static final String SOURCE = """
            mkdir -p tree/dir/sub tree/empty-dir
            printf 'hello\\n' > tree/plain.txt
            "$PYTHON" -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(random.randbytes(300000))' \\
                > tree/dir/random.bin
            printf 'deep\\n' > tree/dir/sub/deep.txt
            ln tree/plain.txt tree/dir/hardlink.txt
            ln -s ../plain.txt tree/dir/link
            ln -s 'no such target' tree/dangling
            mkfifo tree/fifo
            "$PYTHON" -c 'import socket; socket.socket(socket.AF_UNIX).bind("tree/socket")'
            mknod tree/null c 1 3
            printf 'secret\\n' > tree/secret && chmod 0600 tree/secret
            printf '#!/bin/sh\\necho run\\n' > tree/run.sh && chmod 0755 tree/run.sh
            cp tree/run.sh tree/suid && chmod 4755 tree/suid
            chmod 0750 tree/empty-dir
            printf 'owned\\n' > tree/owned && chown 1234:5678 tree/owned
            chown -h 1234:5678 tree/dir/link && chown 1234:5678 tree/dir/sub
            setfattr -n user.note -v 'two words' tree/plain.txt
            setfattr -n user.bin -v 0x00ff10 tree/dir/random.bin
            setfattr -n user.folder -v yes tree/dir
            printf 'acl\\n' > tree/acl && setfacl -m u:1234:rwx,g:5678:r tree/acl
            setfacl -d -m g:5678:rx tree/empty-dir
            truncate -s 10M tree/sparse
            printf 'middle' | dd of=tree/sparse bs=1 seek=5000000 conv=notrunc status=none
            printf 'latin-1\\n' > "tree/$(printf 'caf\\xe9')"
            "$PYTHON" - <<'EOF'
            import os
            entries = []
            def visit(path):
                if os.path.isdir(path) and not os.path.islink(path):
                    for name in sorted(os.listdir(path)):
                        visit(os.path.join(path, name))
                entries.append(path)
            visit(b'tree')
            for i, path in enumerate(entries, 1):
                ns = (1000000000 + i * 86400) * 1000000000 + 100000000 + i
                os.utime(path, ns=(ns, ns), follow_symlinks=False)
            EOF
            tar --xattrs --xattrs-include='*' --acls -C tree -cf tree.tar . 2> tar.log
            (cd tree && zip -q -r -y ../tree.zip plain.txt dir secret run.sh owned)
            """;

    @TempDir
    static Path dir;

    private static Path source;
    private static Path script;
    private static ProgramsIT.BindFs reference;
    private static Path referenceRoot;
    /** The chunkfs mount; null when the subject is a second bindfs. */
    private static MountFixture chunkfs;

    private static ProgramsIT.BindFs secondBindfs;
    private static Path subjectRoot;
    /** The source tree as the plain folder shows it, every mtime to the nanosecond. */
    private static Manifest sourceTree;
    /**
     * Whether the reference sets an mtime given alone (atime {@code UTIME_OMIT}, as {@code touch -m} and {@code tar
     * -x} ask): bindfs 1.14 (Debian 12) does not set {@code flag_utime_omit_ok} and libfuse 2 then drops the call.
     */
    private static boolean referenceSetsMtimeAlone;

    @BeforeAll
    static void mountBoth() throws Exception {
        MountFixture.requireFuse();
        Requirement.require(
                "0".equals(Shell.bash(dir, "id -u").ok().out().strip()), "root is needed to chown and mknod");
        source = Files.createDirectories(dir.resolve("source"));
        Shell.run(source, Map.of("PYTHON", TreeManifest.PYTHON), List.of("bash", "-ec", SOURCE), 120)
                .ok();
        script = TreeManifest.install(dir);
        sourceTree = TreeManifest.of(script, source.resolve("tree"), Long.MAX_VALUE, false);
        referenceRoot = Files.createDirectories(dir.resolve("bindfs"));
        reference = ProgramsIT.BindFs.mount(Files.createDirectories(dir.resolve("plain")), referenceRoot);
        referenceSetsMtimeAlone = "1000000000"
                .equals(Shell.bash(referenceRoot, "touch probe && touch -m -d @1000000000 probe && stat -c %Y probe")
                        .ok()
                        .out()
                        .strip());
        Files.delete(referenceRoot.resolve("probe"));
        if ("bindfs".equals(System.getProperty("treeprograms.subject"))) {
            subjectRoot = Files.createDirectories(dir.resolve("bindfs2"));
            secondBindfs = ProgramsIT.BindFs.mount(Files.createDirectories(dir.resolve("plain2")), subjectRoot);
        } else {
            chunkfs = new MountFixture(Files.createDirectories(dir.resolve("chunkfs"))).mount();
            subjectRoot = chunkfs.mnt.resolve("incoming");
        }
    }

    @AfterAll
    static void unmountBoth() throws Exception {
        try {
            if (chunkfs != null) {
                chunkfs.close();
            }
            if (secondBindfs != null) {
                secondBindfs.close();
            }
        } finally {
            if (reference != null) {
                reference.close();
            }
        }
    }

    @Test
    @Order(1)
    void cpArchiveCopiesEveryFileType() {
        Outcome outcome = new Scenario("cp-a", "cp -a \"$S/tree\" copy").run();
        // The sparse file stays sparse: st_blocks well under its size on both.
        outcome.expectOnBoth("copy/sparse", "blocks", "sparse");
        outcome.check();
    }

    @Test
    @Order(2)
    void rsyncWithHardLinksAclsAndXattrsCopiesEveryFileType() {
        new Scenario("rsync-aHAX", "rsync -aHAX \"$S/tree/\" copy/").run().check();
    }

    @Test
    @Order(3)
    void aSecondRsyncTransfersNothing() {
        Outcome outcome = new Scenario(
                        "rsync-twice", "rsync -a \"$S/tree/\" copy/ && rsync -a --stats \"$S/tree/\" copy/")
                .stdoutVaries()
                .run();
        outcome.expect(
                outcome.subject.out().contains("Number of regular files transferred: 0"),
                "the second rsync transfers no file: " + outcome.subject.out());
        outcome.expect(
                outcome.reference.out().contains("Number of regular files transferred: 0"),
                "on bindfs the second rsync transfers no file: " + outcome.reference.out());
        outcome.check();
    }

    @Test
    @Order(4)
    void rsyncLinkDestSharesTheUnchangedFiles() {
        Outcome outcome = new Scenario(
                        "link-dest",
                        "rsync -a \"$S/tree/\" prev/ && cp -a \"$S/tree\" \"$W/changed\""
                                + " && printf x >> \"$W/changed/dir/random.bin\""
                                + " && rsync -a --link-dest=../prev \"$W/changed/\" next/")
                .run();
        outcome.expectOnBoth("next/plain.txt", "links", "link-dest/next/plain.txt");
        outcome.expectOnBoth("next/plain.txt", "nlink", "2");
        outcome.expectOnBoth("next/secret", "links", "link-dest/next/secret");
        outcome.expectOnBoth("next/dir/random.bin", "nlink", "1");
        outcome.check();
    }

    @Test
    @Order(5)
    void tarExtractsFoldersHardLinksAndSymlinks() {
        new Scenario("tar-x", "mkdir x && tar --xattrs --xattrs-include='*' --acls -C x -xpf \"$S/tree.tar\"")
                // tar sets mtime alone (atime UTIME_OMIT), which bindfs 1.14 drops.
                .mtimesFromSource("x")
                .run()
                .check();
    }

    @Test
    @Order(6)
    void gitCommitsClonesAndChecks() {
        new Scenario(
                        "git",
                        "git init -q -b main repo && cd repo && printf 'one\\n' > a.txt && mkdir -p src/deep"
                                + " && printf 'two\\n' > src/deep/b.txt && printf '#!/bin/sh\\necho hi\\n' > run.sh"
                                + " && chmod +x run.sh && ln -s a.txt link && git add -A && git commit -q -m first"
                                + " && printf 'three\\n' >> a.txt && git commit -q -am second && cd .."
                                + " && git clone -q repo clone && git -C repo fsck --strict && git -C clone fsck --strict"
                                + " && git -C clone log --format='%H %s' && git -C clone status --porcelain"
                                + " && ./clone/run.sh")
                // The index caches each file's st_dev, st_ino and ctime; the clone's config and reflogs name the
                // repository it came from by its absolute path.
                .contentVaries("/\\.git/index$")
                .contentVaries("^git/clone/\\.git/(config|logs/.*)$", "sha256", "size")
                .run()
                .check();
    }

    @Test
    @Order(7)
    void resticKeepsItsRepositoryInTheTree() {
        new Scenario(
                        "restic",
                        "restic -q init -r repo && restic -q -r repo backup \"$S/tree\""
                                + " && restic -q -r repo check")
                // Random ids name the files, whose bytes are encrypted with random keys.
                .renaming("([0-9a-f]{2}/)?[0-9a-f]{64}", "ID")
                .contentVaries("^restic/repo/[^ ]", "sha256", "size")
                .run()
                .check();
    }

    @Test
    @Order(8)
    void borgKeepsItsRepositoryInTheTree() {
        new Scenario("borg", "borg init -e none repo && borg create repo::a \"$S/tree\" && borg check repo")
                // The repository's id is random, and its archive records when it was made.
                .contentVaries("^borg/repo/(?!README$)", "sha256", "size")
                .run()
                .check();
    }

    @Test
    @Order(9)
    void sshKeygenKeepsThePrivateKeyPrivate() {
        new Scenario(
                        "ssh-keygen",
                        "ssh-keygen -q -t ed25519 -N '' -C test -f key && ssh-keygen -y -f key > derived.pub"
                                + " && [ \"$(cut -d' ' -f1,2 key.pub)\" = \"$(cut -d' ' -f1,2 derived.pub)\" ]"
                                + " && echo same")
                .contentVaries("^ssh-keygen/(key|key\\.pub|derived\\.pub)$", "sha256")
                .run()
                .check();
    }

    @Test
    @Order(10)
    void anExecutableScriptRuns() {
        Outcome outcome = new Scenario("script", "printf '#!/bin/sh\\necho ok\\n' > s; chmod +x s; ./s").run();
        outcome.expect(outcome.subject.out().equals("ok\n"), "the script prints ok: " + outcome.subject);
        outcome.check();
    }

    @Test
    @Order(11)
    void unzipExtractsAnArchive() {
        new Scenario("unzip", "unzip -q -d out \"$S/tree.zip\"").run().check();
    }

    @Test
    @Order(12)
    void aFifoCarriesBytesFromAWriterToAReader() {
        Outcome outcome = new Scenario(
                        "fifo", "mkfifo f && { cat f > out & } && timeout 20 sh -c 'echo hi > f' && wait && cat out")
                .run();
        outcome.expect(outcome.subject.out().equals("hi\n"), "the reader got the line: " + outcome.subject);
        outcome.check();
    }

    @Test
    @Order(13)
    void findNewerSeesTheTimesTouchSet() {
        Outcome outcome = new Scenario(
                        "find-newer",
                        "touch -d '2020-01-01 00:00:00' a && touch -d '2021-01-01 00:00:00.5' b"
                                + " && touch -d '2019-06-01 00:00:00' c && mkdir d && touch -d '2019-01-01' d"
                                + " && find . -newer a | sort")
                .run();
        outcome.expect(outcome.subject.out().equals(".\n./b\n"), "find -newer a: " + outcome.subject);
        outcome.check();
    }

    /** Last: the whole of {@code incoming/}, with what every scenario left, survives a remount and a gc. */
    @Test
    @Order(100)
    void everythingIsStillThereAfterARemountAndAGc() throws Exception {
        Outcome outcome = new Scenario("remount", "cp -a \"$S/tree\" copy && rsync -aHAX \"$S/tree/\" synced/").run();
        List<String> problems = outcome.problems;
        Manifest before = TreeManifest.of(script, subjectRoot, Long.MAX_VALUE, true);
        if (chunkfs != null) {
            chunkfs.unmount();
            chunkfs.mount();
        } else {
            secondBindfs.close();
            secondBindfs = ProgramsIT.BindFs.mount(dir.resolve("plain2"), subjectRoot);
        }
        Manifest remounted = TreeManifest.of(script, subjectRoot, Long.MAX_VALUE, true);
        for (String difference : TreeManifest.differences("before", before, "remounted", remounted)) {
            problems.add("after the remount: " + difference);
        }
        if (chunkfs != null) {
            Shell.Result gc = Shell.chunkfs(dir, "-s", chunkfs.store.toString(), "gc", "--margin", "0s");
            if (gc.exit() != 0) {
                problems.add("gc --margin 0s: exit " + gc.exit() + ", " + gc.err());
            }
            Manifest collected = TreeManifest.of(script, subjectRoot, Long.MAX_VALUE, true);
            for (String difference : TreeManifest.differences("before", before, "after-gc", collected)) {
                problems.add("after gc --margin 0s: " + difference);
            }
            Shell.Result verify = Shell.chunkfs(dir, "-s", chunkfs.store.toString(), "verify");
            if (verify.exit() != 0) {
                problems.add("verify: exit " + verify.exit() + ", " + verify.out() + verify.err());
            }
        }
        outcome.check();
    }

    /** What a command did on one side, its paths replaced by {@code $D} and {@code $W}. */
    record Run(int exit, String out, String err, Manifest manifest) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + out + ", stderr: " + err;
        }
    }

    /** One command, run on both sides, and what may legitimately differ between the two runs. */
    private static final class Scenario {
        private final String name;
        private final String command;
        private final List<Pattern> varyingPaths = new ArrayList<>();
        private final List<Set<String>> varyingFields = new ArrayList<>();
        private UnaryOperator<String> rename = UnaryOperator.identity();
        private boolean stdoutVaries;
        private String mtimesFromSource;

        Scenario(String name, String command) {
            this.name = name;
            this.command = command;
        }

        /** Made anew by each run (random keys, caches of st_ino): the bytes of paths matching {@code regex}. */
        Scenario contentVaries(String regex) {
            return contentVaries(regex, "sha256");
        }

        /** The given fields of the paths matching {@code regex} differ between any two runs. */
        Scenario contentVaries(String regex, String... fields) {
            varyingPaths.add(Pattern.compile(regex));
            varyingFields.add(Set.of(fields));
            return this;
        }

        /** Random parts of names, replaced by {@code word} in both manifests. */
        Scenario renaming(String regex, String word) {
            Pattern pattern = Pattern.compile(regex);
            rename = path -> pattern.matcher(path).replaceAll(word);
            return this;
        }

        /**
         * Where the reference cannot set an mtime alone, the mtimes expected of the entries below {@code folder} (of
         * the scenario's folder) are those of the source tree's entries of the same path.
         */
        Scenario mtimesFromSource(String folder) {
            mtimesFromSource = folder;
            return this;
        }

        /** The program prints timings or random ids. */
        Scenario stdoutVaries() {
            stdoutVaries = true;
            return this;
        }

        /** Runs the command on both sides at once (they share nothing but the source), then compares. */
        Outcome run() {
            CompletableFuture<Run> onReference = CompletableFuture.supplyAsync(() -> runOn(referenceRoot, "bindfs"));
            Run onSubject = runOn(subjectRoot, chunkfs == null ? "bindfs2" : "chunkfs");
            Run expected = onReference.join();
            if (mtimesFromSource != null && !referenceSetsMtimeAlone && chunkfs != null) {
                String below = name + "/" + mtimesFromSource;
                expected = new Run(
                        expected.exit(),
                        expected.out(),
                        expected.err(),
                        expected.manifest().changed((path, fields) -> {
                            String inSource = path.equals(below)
                                    ? "."
                                    : path.startsWith(below + "/") ? path.substring(below.length() + 1) : null;
                            String mtime = inSource == null ? null : sourceTree.field(inSource, "mtime");
                            if (mtime != null) {
                                fields.put("mtime", mtime);
                            }
                        }));
            }
            return new Outcome(this, expected, onSubject);
        }

        private Run runOn(Path root, String side) {
            Path folder;
            Path scratch;
            try {
                folder = Files.createDirectory(root.resolve(name));
                scratch = Files.createDirectories(
                        dir.resolve("scratch").resolve(side).resolve(name));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(side + ": " + e, e);
            }
            Map<String, String> environment = new HashMap<>(ENVIRONMENT);
            environment.putAll(Map.of(
                    "S", source.toString(),
                    "D", folder.toString(),
                    "W", scratch.toString(),
                    "HOME", scratch.toString(),
                    "BORG_BASE_DIR", scratch.toString()));
            // A second before the command: the coarse clock the kernel stamps files with lags the JVM's a little.
            Instant start = Instant.now().minusSeconds(1);
            Shell.Result result =
                    Shell.run(folder, environment, List.of("bash", "-c", "set -o pipefail\n" + command), 180);
            // Paths in the manifests start with the scenario's folder, as the scenarios name them.
            Manifest manifest = TreeManifest.of(
                            script, folder, start.getEpochSecond() * 1_000_000_000L + start.getNano(), false)
                    .renamed(path -> ".".equals(path) ? name : name + "/" + path);
            for (int k = 0; k < varyingPaths.size(); k++) {
                manifest = manifest.without(varyingPaths.get(k), varyingFields.get(k));
            }
            return new Run(
                    result.exit(),
                    paths(result.out(), folder, scratch),
                    paths(result.err(), folder, scratch),
                    manifest.renamed(rename));
        }

        private String paths(String text, Path folder, Path scratch) {
            return text.replace(folder.toString(), "$D").replace(scratch.toString(), "$W");
        }
    }

    /** Both runs of a scenario and every way they differ. */
    private static final class Outcome {
        final Scenario scenario;
        final Run reference;
        final Run subject;
        final List<String> problems = new ArrayList<>();

        Outcome(Scenario scenario, Run reference, Run subject) {
            this.scenario = scenario;
            this.reference = reference;
            this.subject = subject;
            String side = chunkfs == null ? "bindfs2" : "chunkfs";
            if (reference.exit() != subject.exit()) {
                problems.add("exit: bindfs=" + reference.exit() + " " + side + "=" + subject.exit());
            }
            if (!reference.err().equals(subject.err())) {
                problems.add("stderr: bindfs=[" + reference.err() + "] " + side + "=[" + subject.err() + "]");
            }
            if (!scenario.stdoutVaries && !reference.out().equals(subject.out())) {
                problems.add("stdout: bindfs=[" + reference.out() + "] " + side + "=[" + subject.out() + "]");
            }
            // The store keeps runs of zeros as holes of the chunk, where ext4 keeps the zeros a program wrote: a file
            // may be sparse on chunkfs and dense on bindfs (rsync without -S), never the other way round.
            Manifest shown = subject.manifest().changed((path, fields) -> {
                if ("sparse".equals(fields.get("blocks"))
                        && "dense".equals(reference.manifest().field(path, "blocks"))) {
                    fields.put("blocks", "dense");
                }
            });
            problems.addAll(TreeManifest.differences("bindfs", reference.manifest(), side, shown));
        }

        void expect(boolean holds, String what) {
            if (!holds) {
                problems.add(what);
            }
        }

        /** {@code field} of the entry at {@code path} (below the scenario's folder) is {@code value} on both sides. */
        void expectOnBoth(String path, String field, String value) {
            String onReference = reference.manifest().field(scenario.name + "/" + path, field);
            String onSubject = subject.manifest().field(scenario.name + "/" + path, field);
            expect(value.equals(onReference), path + ": " + field + " on bindfs is " + onReference + ", not " + value);
            expect(value.equals(onSubject), path + ": " + field + " is " + onSubject + ", not " + value);
        }

        void check() {
            if (!problems.isEmpty()) {
                fail(scenario.name + ": " + scenario.command + "\nbindfs: " + reference + "\n"
                        + String.join("\n", problems));
            }
            if (reference.exit() != 0) {
                fail(scenario.name + " fails on bindfs too: " + reference);
            }
        }
    }
}
