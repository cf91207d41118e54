package io.chunkfs.store;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The format a store is in, as its marker {@code STORE/.chunkfs} says, and the rule for reading it.
 *
 * <p>The marker is UTF-8 text. Its first line is {@code chunkfs-store N}, N the format version (a decimal
 * number from 1, no leading zero). The lines after it, if any, are {@code key=value} properties (key: lower
 * case letters, digits, {@code .}, {@code _}, {@code -}, starting with a letter; value: the rest of the line;
 * each key once); blank lines and the whitespace around the text and each line are ignored.
 *
 * <p>The rule:
 *
 * <ul>
 *   <li><b>Version 1</b> is the format of every store the releases before format versioning made, and of every
 *       store whose chunks are in its folder until the tree (version 3): receipts are symlinks in {@code
 *       receipts/}. Earlier releases wrote exactly {@code "chunkfs-store 1\n"}.
 *   <li><b>Version 2</b> is version 1 plus properties an older reader must not overlook: {@code backend=s3}
 *       and the {@code s3.*} settings of a store whose chunks live in an object store, the folder being their
 *       cache (see {@code io.chunkfs.store.s3.S3Backend} for what its folder holds beyond version 1: 0-byte
 *       cache markers in {@code .chunks/PP/} and the {@code .s3/} folder).
 *   <li><b>Version 3</b> is version 2's rules (with or without {@code backend=s3}) with the file tree in the
 *       SQLite database {@code tree.db} instead of {@code receipts/}: a release that reads version 2 would not
 *       see a single name of the tree, and its gc would not keep what the tree names, hence the new version.
 *       This release writes every new store as version 3: exactly {@code "chunkfs-store 3\n"} for a store whose
 *       chunks are in its folder, {@code "chunkfs-store 3\n"} and the {@code backend=s3} and {@code s3.*} lines
 *       for an S3 store. A store of version 1 or 2 is converted to version 3 by the first process that opens it
 *       for writing ({@code io.chunkfs.store.local.TreeConversion}: its receipts become files of the tree's root
 *       folder, and the tree's gc roots stay off); a process that opens it read-only reads it as it is. A
 *       release that reads version 2 refuses a version-3 store with the line below.
 *   <li><b>A newer version</b> ({@code N > }{@link #VERSION}) is refused, with one line naming the version found
 *       and the version this release reads and asking for a newer chunkfs. Nothing else in the store is
 *       looked at, let alone changed.
 *   <li><b>Anything else</b> (another first line, a version 0, a line after it that is not {@code key=value}, a
 *       key twice) is not a marker this release understands and is refused with what was found. An empty
 *       marker is the exception: a crash right after an early release created a store leaves one, and
 *       {@code io.chunkfs.store.local.StoreLayout} writes it again as that release would have, version 1 (it is
 *       not parsed here).
 *   <li><b>Properties</b> whose key this release does not know are ignored, so that a later release may record
 *       a fact that older readers of the same version can safely overlook; a conversion keeps them. Anything an
 *       older reader must not overlook raises the version instead: chunks kept elsewhere (an object store
 *       backend), a file whose meaning changes what is safe to delete, a changed layout of any file or folder of
 *       the store. No key is defined in versions 1 and 3 for a store whose chunks are in its folder. (Releases
 *       before this rule compare the whole marker with the first line: they refuse a marker with properties as
 *       an unknown format, which is safe.)
 * </ul>
 *
 * <p>Every other file of the store follows the marker's version: a release that refuses the marker touches
 * nothing else, so within one version the layout of each file is fixed, and a change an older release of the
 * same version would misread needs a new version (the writer record changed once under version 1, before this
 * rule: hence the care below). What each holds and what an entry this release does not understand gets (never
 * deleted unless its whole meaning is understood), in every version:
 *
 * <ul>
 *   <li>{@code .chunks/PP/}: chunks named by their digest; {@code DIGEST.sweep} (set aside by a sweep),
 *       {@code DIGEST.N.bad} (set aside by verify), {@code .atime-probe}. Any other name is left alone and
 *       reported by gc as foreign.
 *   <li>{@code .chunks/.sweep-running}: only its presence counts (it is empty): a sweep may have set chunks
 *       aside; the next start puts back each {@code DIGEST.sweep} and then removes it.
 *   <li>{@code .writers/ID}: a writing process's fixed-width ASCII record (see {@code io.chunkfs.store.local.WriterRegistry}); the first
 *       builds kept an empty file per session, {@code START_MILLIS-ID}, under the same version. A locked record
 *       is a live writer: one that cannot be read counts as active since the epoch, so gc removes nothing while
 *       it lives. An unlocked one that cannot be read counts as a process that never synced, so every chunk it
 *       may have touched is checked before the record is removed.
 *   <li>{@code .tmp/}: temporary files of writers, nothing durable; those of writers that are not live go.
 *   <li>{@code .lock}: empty; a process holding its {@code fcntl} lock runs a garbage collection, or converts
 *       the store to version 3.
 * </ul>
 *
 * <p>In versions 1 and 2 only:
 *
 * <ul>
 *   <li>{@code receipts/NAME}: a symlink to {@code ../.chunks/PP/DIGEST} (see {@code io.chunkfs.store.local.LocalReceipts}). An entry
 *       whose link does not end in a digest (another kind of file, a link elsewhere) is no receipt: it is
 *       skipped, and gc never removes it; a conversion neither converts nor removes it (so {@code receipts/}
 *       stays, holding only such entries, until its owner moves them away).
 * </ul>
 *
 * <p>In version 3 only:
 *
 * <ul>
 *   <li>{@code tree.db}: the file tree, an SQLite database ({@code io.chunkfs.store.sql.SqlNamespace} says
 *       what its tables hold); its schema version is in its own {@code settings} table, and a schema this
 *       release does not read is refused. With it, while a process has it open or after a crash:
 *       {@code tree.db-wal} and {@code tree.db-shm} (its write-ahead log and the log's shared index, on a local
 *       file system) or {@code tree.db-journal} (its rollback journal, where the store folder is on FUSE or a
 *       network file system). They are SQLite's: never removed by chunkfs while the marker says version 3.
 *       A version-3 store without {@code tree.db} is damaged and is refused.
 *   <li>{@code tree.db.partial}: a tree being put in place (by creation or conversion), complete only once
 *       renamed to {@code tree.db}; a leftover is removed by the next creation or conversion.
 *   <li>{@code .chunkfs.partial}: a marker being written, complete only once renamed to {@code .chunkfs}
 *       (every release of version 3 writes the marker so); a leftover is removed by the next creation or
 *       conversion.
 *   <li>{@code receipts/} is no part of version 3: one left beside a version-3 marker is what a conversion had
 *       not finished removing, and a writable open removes the receipts in it and then the folder if it is empty.
 * </ul>
 */
public final class StoreFormat {
    /** The newest format version this release reads, and the one it writes. */
    public static final int VERSION = 3;
    /** The first version whose file tree is {@code tree.db} (earlier ones kept receipts in {@code receipts/}). */
    public static final int TREE_VERSION = 3;
    /** The marker's first line of a store this release makes. */
    public static final String FIRST_LINE = "chunkfs-store " + VERSION;
    /** The marker earlier releases wrote for a store whose chunks are in its folder (version 1). */
    public static final String EARLY_MARKER = "chunkfs-store 1\n";
    /** The property naming where chunks live when not in the store folder ({@code s3}); version 2 on. */
    public static final String BACKEND = "backend";

    private static final Pattern FIRST = Pattern.compile("chunkfs-store ([1-9][0-9]{0,8})");
    private static final Pattern PROPERTY = Pattern.compile("([a-z][a-z0-9._-]*)=(.*)");
    private static final int QUOTED_CHARS = 80;

    private final int version;
    private final Map<String, String> properties;

    private StoreFormat(int version, Map<String, String> properties) {
        this.version = version;
        this.properties = Collections.unmodifiableMap(properties);
    }

    /** The marker this release writes for a new store whose chunks are in its folder: {@code "chunkfs-store 3\n"}. */
    public static String markerText() {
        return FIRST_LINE + "\n";
    }

    /**
     * The marker this release writes for a store with these properties (such as {@link #BACKEND}): the version-3
     * line, then one {@code key=value} line each, in their order.
     *
     * @throws IllegalArgumentException for a key or value a marker cannot hold
     */
    public static String markerText(Map<String, String> properties) {
        StringBuilder text = new StringBuilder(markerText());
        properties.forEach((key, value) -> {
            if (!PROPERTY.matcher(key + "=" + value).matches() || value.contains("\n")) {
                throw new IllegalArgumentException("not a store property: " + key + "=" + value);
            }
            text.append(key).append('=').append(value).append('\n');
        });
        return text.toString();
    }

    /**
     * Reads a marker that is not blank.
     *
     * @param root the store, named in the messages
     * @throws StoreException if the format is newer than {@link #VERSION} or not one this release understands
     */
    public static StoreFormat parse(Path root, String text) throws StoreException {
        String[] lines = text.strip().split("\\R", -1);
        Matcher first = FIRST.matcher(lines[0].strip());
        if (!first.matches()) {
            throw new StoreException(root + " has an unknown store format '" + quote(lines[0])
                    + "' (this version of chunkfs reads 'chunkfs-store 1' to 'chunkfs-store " + VERSION + "')");
        }
        int version = Integer.parseInt(first.group(1));
        if (version > VERSION) {
            throw new StoreException(
                    "the store " + root + " has format version " + version + ", newer than this chunkfs reads (version "
                            + VERSION + " and earlier): upgrade chunkfs to use it");
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher property = PROPERTY.matcher(line);
            if (!property.matches() || properties.putIfAbsent(property.group(1), property.group(2)) != null) {
                throw new StoreException(root + " has an unknown store format: its .chunkfs file has a line that"
                        + " is not a new key=value property: '" + quote(line) + "'");
            }
        }
        return new StoreFormat(version, properties);
    }

    /** Where chunks live: {@code local} (the store folder) unless the marker names a backend. */
    public String backend() {
        return properties.getOrDefault(BACKEND, "local");
    }

    public int version() {
        return version;
    }

    /** Whether the file tree is {@code tree.db} (version 3 on), not an earlier release's {@code receipts/}. */
    public boolean hasTree() {
        return version >= TREE_VERSION;
    }

    /** The properties after the first line, in their order; keys this release does not know included. */
    public Map<String, String> properties() {
        return properties;
    }

    /** A piece of the marker fit for a one-line message: short, control characters shown as '?'. */
    private static String quote(String text) {
        String shown = text.strip().replaceAll("\\p{Cntrl}", "?");
        return shown.length() <= QUOTED_CHARS ? shown : shown.substring(0, QUOTED_CHARS) + "…";
    }
}
