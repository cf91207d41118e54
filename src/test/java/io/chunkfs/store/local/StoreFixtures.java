package io.chunkfs.store.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks a store that a release made, kept as a gzipped ustar archive among the test resources: an archive
 * keeps what git does not (empty prefix folders, symlink receipts, 0444 chunks) byte for byte.
 *
 * <p>Only what {@code tar --format=ustar} writes for a store is understood: files, folders and symlinks, with
 * their modes and modification times; anything else, and any path that would leave the target, fails.
 */
final class StoreFixtures {
    private static final int BLOCK = 512;
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };

    private StoreFixtures() {}

    /** Unpacks the archive {@code resource} (next to this class) into {@code target}; returns the paths made. */
    static List<Path> unpack(String resource, Path target) throws IOException {
        List<Path> made = new ArrayList<>();
        // Folder modes last: a read-only folder would refuse what goes into it.
        Map<Path, Integer> folderModes = new java.util.LinkedHashMap<>();
        try (InputStream raw = StoreFixtures.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IOException("no test resource " + resource + " next to " + StoreFixtures.class.getName());
            }
            try (InputStream in = new GZIPInputStream(raw)) {
                byte[] header;
                while ((header = in.readNBytes(BLOCK)).length == BLOCK && header[0] != 0) {
                    Path path = inside(target, field(header, 345, 155), field(header, 0, 100));
                    int mode = (int) octal(header, 100, 8) & 0777;
                    long size = octal(header, 124, 12);
                    FileTime mtime = FileTime.fromMillis(octal(header, 136, 12) * 1000);
                    char type = (char) header[156];
                    switch (type) {
                        case '5' -> {
                            Files.createDirectories(path);
                            folderModes.put(path, mode);
                        }
                        case '0', '\0' -> {
                            Files.write(path, readPadded(in, size));
                            Files.setPosixFilePermissions(path, permissions(mode));
                            Files.setLastModifiedTime(path, mtime);
                        }
                        case '2' -> Files.createSymbolicLink(path, Path.of(field(header, 157, 100)));
                        default -> throw new IOException("entry " + path + " of " + resource + " has type " + type);
                    }
                    made.add(path);
                }
            }
        }
        for (Map.Entry<Path, Integer> folder : folderModes.entrySet()) {
            Files.setPosixFilePermissions(folder.getKey(), permissions(folder.getValue()));
        }
        return made;
    }

    private static Path inside(Path target, String prefix, String name) throws IOException {
        String full = prefix.isEmpty() ? name : prefix + "/" + name;
        Path path = target.resolve(full).normalize();
        if (!path.startsWith(target) || Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path)) {
            throw new IOException("archive entry '" + full + "' is outside " + target + " or there twice");
        }
        return path;
    }

    private static byte[] readPadded(InputStream in, long size) throws IOException {
        byte[] data = in.readNBytes(Math.toIntExact(size));
        long padding = (BLOCK - size % BLOCK) % BLOCK;
        if (data.length != size || in.readNBytes((int) padding).length != padding) {
            throw new IOException("archive ends inside a file");
        }
        return data;
    }

    private static String field(byte[] header, int at, int length) {
        int end = at;
        while (end < at + length && header[end] != 0) {
            end++;
        }
        return new String(header, at, end - at, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int at, int length) {
        String text = field(header, at, length).strip();
        return text.isEmpty() ? 0 : Long.parseLong(text, 8);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < BITS.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                permissions.add(BITS[bit]);
            }
        }
        return permissions;
    }
}
