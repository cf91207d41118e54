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
 *   <li><b>Version 1</b> is the format of every store a release has made so far: it is read as it is, nothing
 *       is migrated. This release writes, for a store whose chunks are in its folder, exactly {@code "chunkfs-store 1\n"}, byte for byte what earlier
 *       releases wrote, so an earlier release still opens a store this one made.
 *   <li><b>Version 2</b> is version 1 plus properties an older reader must not overlook: {@code backend=s3}
 *       and the {@code s3.*} settings of a store whose chunks live in an object store, the folder being their
 *       cache (see {@code io.chunkfs.store.s3.S3Backend} for what its folder holds beyond version 1: 0-byte
 *       cache markers in {@code .chunks/PP/} and the {@code .s3/} folder).
 *   <li><b>A newer version</b> ({@code N > }{@link #VERSION}) is refused, with one line naming the version found
 *       and the version this release reads and asking for a newer chunkfs. Nothing else in the store is
 *       looked at, let alone changed.
 *   <li><b>Anything else</b> (another first line, a version 0, a line after it that is not {@code key=value}, a
 *       key twice) is not a marker this release understands and is refused with what was found. An empty
 *       marker is the exception: a crash right after an early release created a store leaves one, and
 *       {@code io.chunkfs.store.local.StoreLayout} writes it again (it is not parsed here).
 *   <li><b>Properties</b> whose key this release does not know are ignored, so that a later release may record
 *       a fact that older readers of the same version can safely overlook. Anything an older reader must not
 *       overlook raises the version instead: chunks kept elsewhere (an object store backend), a file whose
 *       meaning changes what is safe to delete, a changed layout of any file or folder of the store. No key is
 *       defined in version 1. (Releases before this rule compare the whole marker with the first line: they refuse a
 *       marker with properties as an unknown format, which is safe.)
 * </ul>
 *
 * <p>Every other file of the store follows the marker's version: a release that refuses the marker touches
 * nothing else, so within one version the layout of each file is fixed, and a change an older release of the
 * same version would misread needs a new version (the writer record changed once under version 1, before this
 * rule: hence the care below). Within version 1, what each holds and what an entry this release does not
 * understand gets (never deleted unless its whole meaning is understood):
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
 *   <li>{@code receipts/NAME}: a symlink to {@code ../.chunks/PP/DIGEST} (see {@code io.chunkfs.store.local.LocalReceipts}). An entry
 *       whose link does not end in a digest (another kind of file, a link elsewhere) is no receipt: it is
 *       skipped, and gc never removes it.
 * </ul>
 */
public final class StoreFormat {
    /** The newest format version this release reads. */
    public static final int VERSION = 2;
    /** The version of a store whose chunks are all in its folder: what every release has written for one. */
    public static final int LOCAL_VERSION = 1;
    /** The marker's first line of a store whose chunks are in its folder. */
    public static final String FIRST_LINE = "chunkfs-store " + LOCAL_VERSION;
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

    /** The marker this release writes for a new store whose chunks are in its folder. */
    public static String markerText() {
        return FIRST_LINE + "\n";
    }

    /**
     * The marker of a store with these properties: version 1 with none, else version 2 (properties a version-1
     * reader must not overlook, such as {@link #BACKEND}), one {@code key=value} line each.
     */
    public static String markerText(Map<String, String> properties) {
        if (properties.isEmpty()) {
            return markerText();
        }
        StringBuilder text = new StringBuilder("chunkfs-store ").append(VERSION).append('\n');
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
                    + "' (this version of chunkfs reads 'chunkfs-store 1' and 'chunkfs-store " + VERSION + "')");
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
