package io.chunkfs.fuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A POSIX access ACL as the kernel passes {@code system.posix_acl_access} to a FUSE file system that does not ask
 * it to handle ACLs (libfuse 2 cannot): a little-endian version word (2) and entries of tag, permissions and id.
 * The kernel then neither derives the mode from the ACL nor the ACL from a chmod, as it does for ext4; this does
 * (Linux's {@code posix_acl_update_mode} and {@code posix_acl_chmod}), so that copies of ACLs show the modes they
 * show on ext4, and a minimal ACL, which says no more than the mode, is not kept.
 */
final class AccessAcl {
    static final String NAME = "system.posix_acl_access";

    private static final int VERSION = 2;
    private static final int HEADER = 4;
    private static final int ENTRY = 8;
    private static final int USER_OBJ = 0x01;
    private static final int USER = 0x02;
    private static final int GROUP_OBJ = 0x04;
    private static final int GROUP = 0x08;
    private static final int MASK = 0x10;
    private static final int OTHER = 0x20;

    private final byte[] bytes;

    private AccessAcl(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The ACL in {@code value}; EINVAL if it is not one (a wrong version, size or tag, a missing entry). */
    static AccessAcl parse(byte[] value) {
        if (value.length < HEADER
                || (value.length - HEADER) % ENTRY != 0
                || buffer(value).getInt(0) != VERSION) {
            throw invalid();
        }
        AccessAcl acl = new AccessAcl(value.clone());
        int seen = 0;
        for (int i = 0; i < acl.entries(); i++) {
            int tag = acl.tag(i);
            if (tag != USER_OBJ && tag != USER && tag != GROUP_OBJ && tag != GROUP && tag != MASK && tag != OTHER) {
                throw invalid();
            }
            seen |= tag;
        }
        boolean named = (seen & (USER | GROUP)) != 0;
        if ((seen & USER_OBJ) == 0 || (seen & GROUP_OBJ) == 0 || (seen & OTHER) == 0 || (named && (seen & MASK) == 0)) {
            throw invalid();
        }
        return acl;
    }

    /** Whether the ACL says no more than a mode does (owner, group and other entries only): it is not kept. */
    boolean isMinimal() {
        for (int i = 0; i < entries(); i++) {
            int tag = tag(i);
            if (tag != USER_OBJ && tag != GROUP_OBJ && tag != OTHER) {
                return false;
            }
        }
        return true;
    }

    /**
     * The mode this ACL gives a file of mode {@code mode}: the owner's, the mask's (the group's without one) and
     * the others' permissions, the set-ID and sticky bits kept.
     */
    int mode(int mode) {
        int user = 0;
        int group = 0;
        int mask = -1;
        int other = 0;
        for (int i = 0; i < entries(); i++) {
            switch (tag(i)) {
                case USER_OBJ -> user = permissions(i);
                case GROUP_OBJ -> group = permissions(i);
                case MASK -> mask = permissions(i);
                case OTHER -> other = permissions(i);
                default -> {}
            }
        }
        return (mode & 07000) | user << 6 | (mask >= 0 ? mask : group) << 3 | other;
    }

    /** The ACL after a chmod to {@code mode}: the owner's, the mask's (the group's without one) and the others' bits. */
    byte[] withMode(int mode) {
        byte[] changed = bytes.clone();
        ByteBuffer out = buffer(changed);
        boolean hasMask = false;
        for (int i = 0; i < entries(); i++) {
            hasMask |= tag(i) == MASK;
        }
        for (int i = 0; i < entries(); i++) {
            int tag = tag(i);
            int bits = -1;
            if (tag == USER_OBJ) {
                bits = mode >> 6 & 7;
            } else if (tag == MASK || (tag == GROUP_OBJ && !hasMask)) {
                bits = mode >> 3 & 7;
            } else if (tag == OTHER) {
                bits = mode & 7;
            }
            if (bits >= 0) {
                out.putShort(HEADER + i * ENTRY + 2, (short) bits);
            }
        }
        return changed;
    }

    private int entries() {
        return (bytes.length - HEADER) / ENTRY;
    }

    private int tag(int entry) {
        return buffer(bytes).getShort(HEADER + entry * ENTRY) & 0xffff;
    }

    private int permissions(int entry) {
        return buffer(bytes).getShort(HEADER + entry * ENTRY + 2) & 7;
    }

    private static ByteBuffer buffer(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static FsError invalid() {
        return new FsError(Errno.EINVAL, "not a POSIX access ACL");
    }
}
