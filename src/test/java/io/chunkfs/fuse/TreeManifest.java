package io.chunkfs.fuse;

import io.chunkfs.testing.Shell;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * What a file tree holds, entry by entry, as {@code lstat}, {@code readlink}, {@code listxattr} and the bytes
 * show it through the mount (read by a Python script, so that every call is the plain system call and names
 * are bytes): for each entry its path (bytes, escaped), type, mode (07777), uid, gid, nlink, mtime, size (files
 * and symbolic links: a folder's size is the file system's own business), device numbers, symbolic link target,
 * the bytes' SHA-256, whether a file of 1 MiB or more is sparse ({@code st_blocks} under half its size), every
 * extended attribute but {@code user.chunkfs.digest} with its value, and the hard-link group (the first path of
 * the entries sharing its {@code st_ino}). An mtime at or after the given instant prints as {@code fresh}: the
 * program set it to "now", which differs between two runs; any other mtime is compared to the nanosecond.
 * A failed call prints as {@code !ERRNO} in its field. Attributes come from {@code statx(2)} with
 * {@code AT_STATX_FORCE_SYNC}: the file system's own answer, not what the kernel cached for a name (after a program
 * links a file under a second name, the first name's cached {@code st_nlink} may lag for the attribute timeout, on
 * any libfuse 2 file system, depending on how quickly the manifest follows).
 */
final class TreeManifest {
    private static final String SCRIPT = """
            import ctypes, errno, hashlib, os, stat, struct, sys

            root = os.fsencode(sys.argv[1])
            fresh_after = int(sys.argv[2])
            with_ino = len(sys.argv) > 3 and sys.argv[3] == 'ino'
            KINDS = {stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink', stat.S_IFIFO: 'fifo',
                     stat.S_IFSOCK: 'socket', stat.S_IFCHR: 'chardev', stat.S_IFBLK: 'blockdev'}

            libc = ctypes.CDLL(None, use_errno=True)

            # statx(2) with AT_STATX_FORCE_SYNC: the file system's answer, not the kernel's cached one.
            class Stat:
                def __init__(self, path):
                    buf = ctypes.create_string_buffer(256)
                    # AT_FDCWD, AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS
                    if libc.statx(-100, path, 0x100 | 0x2000, 0x7ff, buf) != 0:
                        e = ctypes.get_errno()
                        raise OSError(e, os.strerror(e))
                    self.st_nlink, self.st_uid, self.st_gid, self.st_mode = struct.unpack_from('=IIIH', buf, 16)
                    self.st_ino, self.st_size, self.st_blocks = struct.unpack_from('=QQQ', buf, 32)
                    seconds, nanoseconds = struct.unpack_from('=qI', buf, 112)
                    self.st_mtime_ns = seconds * 1000000000 + nanoseconds
                    self.rdev = struct.unpack_from('=II', buf, 128)

            def esc(b):
                return ''.join(chr(c) if 0x21 <= c < 0x7f and c not in b'\\\\=,:' else '\\\\x%02x' % c for c in b)

            def failed(e):
                return '!' + errno.errorcode.get(e.errno, str(e.errno))

            def content(path, size):
                digest = hashlib.sha256()
                try:
                    with open(path, 'rb') as f:
                        while True:
                            block = f.read(1 << 20)
                            if not block:
                                break
                            digest.update(block)
                    return digest.hexdigest()
                except OSError as e:
                    return failed(e)

            def xattrs(path):
                try:
                    names = sorted(n for n in os.listxattr(path, follow_symlinks=False) if n != 'user.chunkfs.digest')
                except OSError as e:
                    return failed(e)
                values = []
                for name in names:
                    try:
                        values.append(esc(os.fsencode(name)) + ':' + os.getxattr(path, name, follow_symlinks=False).hex())
                    except OSError as e:
                        values.append(esc(os.fsencode(name)) + ':' + failed(e))
                return ','.join(values) or '-'

            lines = {}
            groups = {}

            def visit(rel):
                path = os.path.join(root, rel) if rel else root
                try:
                    st = Stat(path)
                except OSError as e:
                    lines[rel] = ['lstat=' + failed(e)]
                    return
                kind = KINDS.get(stat.S_IFMT(st.st_mode), 'unknown')
                fields = ['type=' + kind, 'mode=%04o' % stat.S_IMODE(st.st_mode), 'uid=%d' % st.st_uid,
                          'gid=%d' % st.st_gid, 'nlink=%d' % st.st_nlink]
                fields.append('mtime=' + ('fresh' if st.st_mtime_ns >= fresh_after else str(st.st_mtime_ns)))
                if kind in ('file', 'symlink'):
                    fields.append('size=%d' % st.st_size)
                if kind in ('chardev', 'blockdev'):
                    fields.append('rdev=%d,%d' % st.rdev)
                if kind == 'symlink':
                    try:
                        fields.append('target=' + esc(os.readlink(path)))
                    except OSError as e:
                        fields.append('target=' + failed(e))
                if kind == 'file':
                    fields.append('sha256=' + content(path, st.st_size))
                    if st.st_size >= 1 << 20:
                        fields.append('blocks=' + ('sparse' if st.st_blocks * 512 < st.st_size // 2 else 'dense'))
                fields.append('xattrs=' + xattrs(path))
                if with_ino:
                    fields.append('ino=%d' % st.st_ino)
                lines[rel] = fields
                if kind == 'dir':
                    try:
                        names = sorted(os.listdir(path))
                    except OSError as e:
                        fields.append('list=' + failed(e))
                        return
                    for name in names:
                        visit(os.path.join(rel, name) if rel else name)
                else:
                    groups.setdefault(st.st_ino, []).append(rel)

            visit(b'')
            for members in groups.values():
                if len(members) > 1:
                    for rel in members:
                        lines[rel].append('links=' + esc(min(members)))
            out = sys.stdout.buffer
            for rel in sorted(lines):
                out.write(((esc(rel) if rel else '.') + ' ' + ' '.join(lines[rel]) + '\\n').encode())
            """;

    /** The distribution's Python when there is one: a version manager's shim costs half a second a start. */
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private TreeManifest() {}

    /** A tree's entries: path (escaped) to field name to value, both in order. */
    record Manifest(Map<String, Map<String, String>> entries) {
        Map<String, String> get(String path) {
            return entries.getOrDefault(path, Map.of());
        }

        String field(String path, String name) {
            return get(path).get(name);
        }

        /**
         * The same entries with every path passed through {@code rename} (e.g. random ids made one word). Entries
         * that then share a path are told apart by their fields: each gets {@code #1}, {@code #2}… in the order of
         * its fields' text, so two trees holding the same kinds of entry under random names compare equal.
         */
        Manifest renamed(UnaryOperator<String> rename) {
            Map<String, List<Map<String, String>>> grouped = new TreeMap<>();
            entries.forEach((path, fields) -> grouped.computeIfAbsent(rename.apply(path), k -> new ArrayList<>())
                    .add(renamedFields(fields, rename)));
            Map<String, Map<String, String>> result = new TreeMap<>();
            grouped.forEach((path, list) -> {
                if (list.size() == 1) {
                    result.put(path, list.get(0));
                } else {
                    list.sort((a, b) -> a.toString().compareTo(b.toString()));
                    for (int k = 0; k < list.size(); k++) {
                        result.put(path + "#" + (k + 1), list.get(k));
                    }
                }
            });
            return new Manifest(result);
        }

        private static Map<String, String> renamedFields(Map<String, String> fields, UnaryOperator<String> rename) {
            Map<String, String> copy = new LinkedHashMap<>(fields);
            copy.computeIfPresent("links", (k, v) -> rename.apply(v));
            return copy;
        }

        /** The same entries, each entry's fields (a copy) changed by {@code change}. */
        Manifest changed(java.util.function.BiConsumer<String, Map<String, String>> change) {
            Map<String, Map<String, String>> result = new TreeMap<>();
            entries.forEach((path, map) -> {
                Map<String, String> copy = new LinkedHashMap<>(map);
                change.accept(path, copy);
                result.put(path, copy);
            });
            return new Manifest(result);
        }

        /** The same entries without the given fields where {@code paths} matches the path. */
        Manifest without(Pattern paths, Set<String> fields) {
            Map<String, Map<String, String>> result = new TreeMap<>();
            entries.forEach((path, map) -> {
                Map<String, String> copy = new LinkedHashMap<>(map);
                if (paths.matcher(path).find()) {
                    copy.keySet().removeAll(fields);
                }
                result.put(path, copy);
            });
            return new Manifest(result);
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            entries.forEach((path, fields) ->
                    text.append(path).append(' ').append(fields).append('\n'));
            return text.toString();
        }
    }

    /** Writes the script into {@code dir}; returns its path. */
    static Path install(Path dir) throws IOException {
        Path script = dir.resolve("manifest.py");
        Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
        return script;
    }

    /**
     * The manifest of the tree at {@code root}; mtimes at or after {@code freshAfterNanos} (since the epoch) print
     * as {@code fresh}; with {@code inodes}, each entry's {@code st_ino} too.
     */
    static Manifest of(Path script, Path root, long freshAfterNanos, boolean inodes) {
        List<String> command =
                new ArrayList<>(List.of(PYTHON, script.toString(), root.toString(), Long.toString(freshAfterNanos)));
        if (inodes) {
            command.add("ino");
        }
        Shell.Result result = Shell.run(root, Map.of(), command, 120).ok();
        Map<String, Map<String, String>> entries = new TreeMap<>();
        for (String line : result.out().split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split(" ");
            Map<String, String> fields = new LinkedHashMap<>();
            for (int k = 1; k < words.length; k++) {
                String[] pair = words[k].split("=", 2);
                fields.put(pair[0], pair[1]);
            }
            entries.put(words[0], fields);
        }
        return new Manifest(entries);
    }

    /**
     * Every difference between {@code expected} (named {@code expectedSide}) and {@code actual}, one line per entry
     * and field: entries only one side has, and each field whose value differs.
     */
    static List<String> differences(String expectedSide, Manifest expected, String actualSide, Manifest actual) {
        List<String> found = new ArrayList<>();
        Set<String> paths = new TreeSet<>(expected.entries().keySet());
        paths.addAll(actual.entries().keySet());
        for (String path : paths) {
            Map<String, String> want = expected.entries().get(path);
            Map<String, String> got = actual.entries().get(path);
            if (got == null) {
                found.add(path + ": only on " + expectedSide + " " + want);
                continue;
            }
            if (want == null) {
                found.add(path + ": only on " + actualSide + " " + got);
                continue;
            }
            Set<String> fields = new TreeSet<>(want.keySet());
            fields.addAll(got.keySet());
            for (String field : fields) {
                if (!Objects.equals(want.get(field), got.get(field))) {
                    found.add(path + ": " + field + " " + expectedSide + "=" + want.get(field) + " " + actualSide + "="
                            + got.get(field));
                }
            }
        }
        return found;
    }
}
