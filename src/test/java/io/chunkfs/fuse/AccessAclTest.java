package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The access ACL as ext4 relates it to the mode, with the bytes the kernel passes (as {@code setfacl} makes them). */
class AccessAclTest {
    private static final int USER_OBJ = 0x01;
    private static final int USER = 0x02;
    private static final int GROUP_OBJ = 0x04;
    private static final int MASK = 0x10;
    private static final int OTHER = 0x20;

    /** An ACL of {tag, permissions, id} entries. */
    private static byte[] acl(int[]... entries) {
        ByteBuffer out = ByteBuffer.allocate(4 + 8 * entries.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(2);
        for (int[] entry : entries) {
            out.putShort((short) entry[0]).putShort((short) entry[1]).putInt(entry[2]);
        }
        return out.array();
    }

    private static final int NO_ID = -1;

    @Test
    void aMinimalAclSaysNoMoreThanTheModeItSets() {
        AccessAcl minimal = AccessAcl.parse(
                acl(new int[] {USER_OBJ, 6, NO_ID}, new int[] {GROUP_OBJ, 4, NO_ID}, new int[] {OTHER, 4, NO_ID}));
        assertTrue(minimal.isMinimal());
        assertEquals(0644, minimal.mode(0600));
        assertEquals(04644, minimal.mode(04600), "set-ID and sticky bits stay");
    }

    @Test
    void withANamedEntryTheMaskIsTheGroupBits() {
        AccessAcl extended = AccessAcl.parse(acl(
                new int[] {USER_OBJ, 6, NO_ID},
                new int[] {USER, 7, 1234},
                new int[] {GROUP_OBJ, 4, NO_ID},
                new int[] {MASK, 7, NO_ID},
                new int[] {OTHER, 4, NO_ID}));
        assertFalse(extended.isMinimal());
        assertEquals(0674, extended.mode(0600), "as setfacl -m u:1234:rwx on ext4");
    }

    @Test
    void aChmodRewritesTheOwnerTheMaskAndTheOthers() {
        byte[] before = acl(
                new int[] {USER_OBJ, 6, NO_ID},
                new int[] {USER, 7, 1234},
                new int[] {GROUP_OBJ, 4, NO_ID},
                new int[] {MASK, 7, NO_ID},
                new int[] {OTHER, 4, NO_ID});
        byte[] after = acl(
                new int[] {USER_OBJ, 6, NO_ID},
                new int[] {USER, 7, 1234},
                new int[] {GROUP_OBJ, 4, NO_ID},
                new int[] {MASK, 4, NO_ID},
                new int[] {OTHER, 0, NO_ID});
        assertArrayEquals(after, AccessAcl.parse(before).withMode(0640), "the named user and the group entry stay");
    }

    @Test
    void whatIsNoAclIsEinval() {
        assertEquals(Errno.EINVAL, assertThrows(FsError.class, () -> AccessAcl.parse(new byte[3])).errno);
        byte[] wrongVersion = acl(new int[] {USER_OBJ, 6, NO_ID});
        wrongVersion[0] = 1;
        assertEquals(Errno.EINVAL, assertThrows(FsError.class, () -> AccessAcl.parse(wrongVersion)).errno);
        assertEquals(
                Errno.EINVAL,
                assertThrows(FsError.class, () -> AccessAcl.parse(acl(new int[] {USER_OBJ, 6, NO_ID}))).errno,
                "no group or other entry");
        assertEquals(
                Errno.EINVAL,
                assertThrows(
                                FsError.class,
                                () -> AccessAcl.parse(acl(
                                        new int[] {USER_OBJ, 6, NO_ID},
                                        new int[] {USER, 7, 1},
                                        new int[] {GROUP_OBJ, 4, NO_ID},
                                        new int[] {OTHER, 4, NO_ID})))
                        .errno,
                "a named entry needs a mask");
    }
}
