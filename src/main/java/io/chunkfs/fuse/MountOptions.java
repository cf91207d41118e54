package io.chunkfs.fuse;

import io.chunkfs.store.SyncLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code -o} options of a mount, as a user or {@code /etc/fstab} gives them, and the FUSE
 * arguments they become.
 *
 * @param readOnly    {@code ro}: refuse writes and touches with EROFS
 * @param allowOther  {@code allow_other}: let other users in (the kernel still checks modes)
 * @param syncLevel   {@code sync=file|filesystem|none}
 * @param fsName      {@code fsname=}: what {@code mount} and {@code df} show as the source
 * @param debug       {@code debug}: libfuse logs every request
 * @param verify      {@code verify=on|off}: hash every chunk whole before serving its first byte (on,
 *                    the default), or serve without hashing (for stores on ZFS or btrfs, which
 *                    checksum their own data)
 */
public record MountOptions(
        boolean readOnly, boolean allowOther, SyncLevel syncLevel, String fsName, boolean debug, boolean verify) {
    /** Options mount(8) and fstab pass that mean nothing here. */
    private static final Set<String> IGNORED = Set.of(
            "rw",
            "defaults",
            "auto",
            "noauto",
            "user",
            "nouser",
            "users",
            "_netdev",
            "nofail",
            "exec",
            "noexec",
            "suid",
            "nosuid",
            "dev",
            "nodev",
            "atime",
            "noatime",
            "relatime",
            "async",
            "subtype=chunkfs");

    /**
     * The FUSE options chunkfs always sets, and why: 128 KiB writes instead of 4 KiB; the kernel checks
     * modes; an unlinked open file reaches us as an unlink, not a rename to {@code .fuse_hidden};
     * a mount whose process died unmounts itself. Attribute and entry caches stay at libfuse's 1 s;
     * negative lookups are never cached, since a commit makes a new name appear at once.
     */
    static final String FIXED = "subtype=chunkfs,big_writes,max_write=131072,max_read=131072,default_permissions,"
            + "hard_remove,use_ino,auto_unmount,entry_timeout=1,attr_timeout=1,negative_timeout=0";

    public static MountOptions defaults(String fsName) {
        return new MountOptions(false, false, SyncLevel.FILE, fsName, false, true);
    }

    /** Applies comma-separated options; an unknown one is an {@link IllegalArgumentException}. */
    public MountOptions with(String commaSeparated) {
        MountOptions result = this;
        for (String option : commaSeparated.split(",")) {
            String trimmed = option.strip();
            if (trimmed.isEmpty() || IGNORED.contains(trimmed)) {
                continue;
            }
            if (trimmed.equals("ro")) {
                result = new MountOptions(
                        true, result.allowOther, result.syncLevel, result.fsName, result.debug, result.verify);
            } else if (trimmed.equals("allow_other")) {
                result = new MountOptions(
                        result.readOnly, true, result.syncLevel, result.fsName, result.debug, result.verify);
            } else if (trimmed.equals("debug")) {
                result = new MountOptions(
                        result.readOnly, result.allowOther, result.syncLevel, result.fsName, true, result.verify);
            } else if (trimmed.startsWith("sync=")) {
                result = new MountOptions(
                        result.readOnly,
                        result.allowOther,
                        SyncLevel.parse(trimmed.substring(5)),
                        result.fsName,
                        result.debug,
                        result.verify);
            } else if (trimmed.startsWith("fsname=") && trimmed.length() > 7) {
                result = new MountOptions(
                        result.readOnly,
                        result.allowOther,
                        result.syncLevel,
                        trimmed.substring(7),
                        result.debug,
                        result.verify);
            } else if (trimmed.startsWith("verify=")) {
                result = new MountOptions(
                        result.readOnly,
                        result.allowOther,
                        result.syncLevel,
                        result.fsName,
                        result.debug,
                        parseVerify(trimmed.substring(7)));
            } else {
                throw new IllegalArgumentException("unknown mount option '" + trimmed
                        + "' (known: ro, allow_other, sync=file|filesystem|none, verify=on|off, fsname=NAME, debug)");
            }
        }
        return result;
    }

    private static boolean parseVerify(String value) {
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default ->
                throw new IllegalArgumentException(
                        "bad mount option 'verify=" + value + "' (use verify=on or verify=off)");
        };
    }

    /** The arguments for libfuse after the mount point. */
    String[] fuseArguments() {
        List<String> options = new ArrayList<>();
        options.add(FIXED);
        options.add("fsname=" + fsName.replace(",", "\\,"));
        if (readOnly) {
            options.add("ro");
        }
        if (allowOther) {
            options.add("allow_other");
        }
        return new String[] {"-o", String.join(",", options)};
    }
}
