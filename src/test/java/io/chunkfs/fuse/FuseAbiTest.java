package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.EntryType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/** The raw ABI bits, set in memory allocated here: no mount and no libfuse needed. */
class FuseAbiTest {
    private static Pointer zeroed(int bytes) {
        return Runtime.getSystemRuntime().getMemoryManager().allocateDirect(bytes, true);
    }

    @Test
    void operationFlagsAreAddedToTheIntAtByte304() {
        Pointer operations = zeroed(512);
        operations.putInt(FuseAbi.FLAGS_OFFSET, 1 << 3);
        FuseAbi.enableOperationFlags(operations);
        assertEquals(1 << 3 | 1 << 2 | 1, operations.getInt(304), "nullpath_ok, utime_omit_ok, and what was set");
        assertEquals(0, operations.getInt(300), "the int before is untouched");
        assertEquals(0, operations.getInt(308), "the int after is untouched");
    }

    @Test
    void cachingSetsOneBitOfTheFileInfoBitFieldAndNothingElse() {
        for (Caching caching : Caching.values()) {
            Pointer memory = zeroed(64);
            FuseFileInfo fi = FuseFileInfo.of(memory);
            fi.flags.set(02);
            fi.fh.set(0x1234_5678_9abcL);
            memory.putInt(20, 1 << 4);
            FuseAbi.setCaching(memory, caching);
            int expected = switch (caching) {
                case KEEP -> 1 << 1;
                case NONE -> 1;
                case DEFAULT -> 0;
            };
            assertEquals(1 << 4 | expected, memory.getInt(20), caching.toString());
            assertEquals(02, fi.flags.get(), "the open flags are kept");
            assertEquals(0x1234_5678_9abcL, fi.fh.get(), "the handle number is kept");
        }
    }

    @Test
    void theFileHandleAndOpenFlagsAreWhereJnrFuseHasThem() {
        Pointer memory = zeroed(64);
        FuseFileInfo fi = FuseFileInfo.of(memory);
        fi.flags.set(0101);
        FuseAbi.setFileHandle(memory, 0x1234_5678_9abcL);
        assertEquals(0x1234_5678_9abcL, fi.fh.get());
        assertEquals(0x1234_5678_9abcL, FuseAbi.fileHandle(memory));
        assertEquals(0101, FuseAbi.openFlags(memory));
    }

    @Test
    void anOpenMayChangeTheFileWhenWritingTruncatingOrAppending() {
        int wronly = 1;
        int rdwr = 2;
        assertFalse(FuseAbi.opensForWriting(0));
        assertFalse(FuseAbi.opensForWriting(0100000), "O_LARGEFILE alone reads");
        assertTrue(FuseAbi.opensForWriting(wronly));
        assertTrue(FuseAbi.opensForWriting(rdwr));
        assertTrue(FuseAbi.opensForWriting(01000), "O_RDONLY|O_TRUNC truncates");
        assertTrue(FuseAbi.opensForWriting(02000), "O_RDONLY|O_APPEND");
        assertTrue(FuseAbi.truncates(wronly | 01000));
        assertFalse(FuseAbi.truncates(wronly | 02000));
    }

    @Test
    void attributesAreWrittenIntoAStatWithBlocksOfHalfAKilobyte() {
        // Written by raw offsets on x86_64, read back through jnr-fuse's own layout of struct stat.
        Pointer memory = zeroed(256);
        FileStat stat = FileStat.of(memory);
        long accessed = 1_000 * 1_000_000_000L + 5;
        long modified = 2_000 * 1_000_000_000L + 7;
        long changed = 3_000 * 1_000_000_000L + 9;
        FuseAbi.fill(
                memory,
                new Attributes(42, EntryType.REGULAR, 0644, 1, 1000, 100, 513, 2, accessed, modified, changed, 0));
        assertEquals(FileStat.S_IFREG | 0644, stat.st_mode.intValue());
        assertEquals(1, stat.st_nlink.intValue());
        assertEquals(1000, stat.st_uid.intValue());
        assertEquals(100, stat.st_gid.intValue());
        assertEquals(513, stat.st_size.longValue());
        assertEquals(2, stat.st_blocks.longValue());
        assertEquals(1_000, stat.st_atim.tv_sec.longValue());
        assertEquals(5, stat.st_atim.tv_nsec.longValue());
        assertEquals(2_000, stat.st_mtim.tv_sec.longValue());
        assertEquals(7, stat.st_mtim.tv_nsec.longValue());
        assertEquals(3_000, stat.st_ctim.tv_sec.longValue());
        assertEquals(9, stat.st_ctim.tv_nsec.longValue());
        assertEquals(42, stat.st_ino.longValue());
        for (int unset : new int[] {0, 40, 56, 120, 128, 136}) {
            assertEquals(0, memory.getLong(unset), "dev, rdev, blksize and the reserved words stay 0: " + unset);
        }

        Pointer deviceMemory = zeroed(256);
        FileStat device = FileStat.of(deviceMemory);
        FuseAbi.fill(
                deviceMemory,
                new Attributes(7, EntryType.CHAR_DEVICE, 0600, 1, 0, 0, 0, 0, modified, modified, modified, 0x0103));
        assertEquals(FileStat.S_IFCHR | 0600, device.st_mode.intValue());
        assertEquals(0x0103, device.st_rdev.longValue());

        Pointer folderMemory = zeroed(256);
        FileStat folder = FileStat.of(folderMemory);
        FuseAbi.fill(
                folderMemory,
                Attributes.fixedFolder(
                        Attributes.MOUNT_ROOT_INODE, 0555, RootNode.LINKS, 0, 0, Instant.ofEpochSecond(2_000)));
        assertEquals(FileStat.S_IFDIR | 0555, folder.st_mode.intValue());
        assertEquals(259, folder.st_nlink.intValue());
        assertEquals(0, folder.st_size.longValue());
    }

    @Test
    void anXattrReplyGivesItsLengthCopiesItOrSaysErange() {
        byte[] value = "abc".getBytes(StandardCharsets.US_ASCII);
        Pointer buffer = zeroed(8);
        assertEquals(3, FuseAbi.replyXattr(buffer, 0, value), "size 0 asks for the length");
        assertEquals(0, buffer.getByte(0), "and copies nothing");
        assertEquals(Errno.ERANGE, MountlessTree.errno(() -> FuseAbi.replyXattr(buffer, 2, value)));
        assertEquals(3, FuseAbi.replyXattr(buffer, 8, value));
        assertEquals('c', buffer.getByte(2));
    }

    /** Two {@code struct timespec} as utimensat(2) passes them: atime, then mtime. */
    private static Pointer times(long atimeSeconds, long atimeNanos, long mtimeSeconds, long mtimeNanos) {
        Pointer times = zeroed(32);
        times.putLong(0, atimeSeconds);
        times.putLong(8, atimeNanos);
        times.putLong(16, mtimeSeconds);
        times.putLong(24, mtimeNanos);
        return times;
    }

    @Test
    void utimensTimesAreNanosecondsNowOrLeftOut() {
        long now = 1_700_000_000_123_456_789L;
        assertEquals(now, FuseAbi.time(null, 0, now), "utimes(NULL): both now");
        assertEquals(now, FuseAbi.time(null, 1, now));

        Pointer set = times(1_000, 5, 2_000, 999_999_999);
        assertEquals(1_000_000_000_005L, FuseAbi.time(set, 0, now));
        assertEquals(2_000_999_999_999L, FuseAbi.time(set, 1, now), "the second timespec is the mtime");
        assertEquals(-1_500_000_000L, FuseAbi.time(times(-2, 500_000_000, 0, 0), 0, now), "before 1970");
        assertEquals(0L, FuseAbi.time(times(0, 0, 0, 0), 1, now), "the epoch is a time, not a default");

        Pointer special = times(77, FuseAbi.UTIME_NOW, 88, FuseAbi.UTIME_OMIT);
        assertEquals(now, FuseAbi.time(special, 0, now), "UTIME_NOW, whatever the seconds");
        assertNull(FuseAbi.time(special, 1, now), "UTIME_OMIT leaves it");
        Pointer swapped = times(0, FuseAbi.UTIME_OMIT, 0, FuseAbi.UTIME_NOW);
        assertNull(FuseAbi.time(swapped, 0, now));
        assertEquals(now, FuseAbi.time(swapped, 1, now));
        assertEquals((1L << 30) - 1, FuseAbi.UTIME_NOW, "Linux's value");
        assertEquals((1L << 30) - 2, FuseAbi.UTIME_OMIT);
    }

    @Test
    void chownsMinusOneLeavesTheIdAsItIs() {
        assertNull(FuseAbi.id(-1));
        assertNull(FuseAbi.id(0xFFFF_FFFFL), "(uid_t) -1 as an unsigned 32-bit number");
        assertEquals(0L, FuseAbi.id(0));
        assertEquals(1000L, FuseAbi.id(1000));
        assertEquals(0xFFFF_FFFEL, FuseAbi.id(0xFFFF_FFFEL), "the largest id one can set");
    }

    @Test
    void readlinksReplyIsCutToFitWithItsNul() {
        byte[] target = "abcdef".getBytes(StandardCharsets.US_ASCII);
        Pointer small = zeroed(8);
        small.putByte(4, (byte) 'z');
        FuseAbi.replyString(small, 4, target);
        assertArrayEquals(new byte[] {'a', 'b', 'c', 0, 'z'}, bytesAt(small, 5), "size - 1 bytes, then NUL");

        Pointer exact = zeroed(8);
        exact.putByte(7, (byte) 'z');
        FuseAbi.replyString(exact, 7, target);
        assertArrayEquals(new byte[] {'a', 'b', 'c', 'd', 'e', 'f', 0, 'z'}, bytesAt(exact, 8));

        Pointer large = Runtime.getSystemRuntime().getMemoryManager().allocateDirect(16, false);
        for (int i = 0; i < 16; i++) {
            large.putByte(i, (byte) 'z');
        }
        FuseAbi.replyString(large, 16, target);
        assertEquals(0, large.getByte(6), "ended right after the bytes");
        assertEquals('z', large.getByte(7), "and nothing written past the NUL");

        Pointer none = zeroed(4);
        none.putByte(0, (byte) 'z');
        FuseAbi.replyString(none, 0, target);
        assertEquals('z', none.getByte(0), "size 0: nothing written");
        FuseAbi.replyString(none, 1, target);
        assertEquals(0, none.getByte(0), "size 1: only the NUL");
    }

    private static byte[] bytesAt(Pointer memory, int length) {
        byte[] bytes = new byte[length];
        memory.get(0, bytes, 0, length);
        return bytes;
    }

    @Test
    void namesAndValuesAreReadAsTheirBytes() {
        byte[] latin1 = {'/', 'i', 'n', 'c', 'o', 'm', 'i', 'n', 'g', '/', 'c', 'a', 'f', (byte) 0xe9};
        Pointer path = zeroed(32);
        path.put(0, latin1, 0, latin1.length);
        path.putByte(latin1.length + 1, (byte) 'x');
        assertArrayEquals(latin1, FuseAbi.bytes(path), "up to the NUL, not UTF-8 decoded");
        assertNull(FuseAbi.bytes(null), "a released file's null path");
        assertArrayEquals(new byte[0], FuseAbi.bytes(zeroed(4)));

        Pointer value = zeroed(8);
        value.put(0, new byte[] {1, 0, 2, 0}, 0, 4);
        assertArrayEquals(new byte[] {1, 0, 2}, FuseAbi.bytes(value, 3), "a value may hold NULs");
        assertArrayEquals(new byte[0], FuseAbi.bytes(null, 0), "an empty value may come with no buffer");

        Pointer name = zeroed(32);
        byte[] utf8 = "user.café".getBytes(StandardCharsets.UTF_8);
        name.put(0, utf8, 0, utf8.length);
        assertEquals("user.café", FuseAbi.string(name));
    }

    @Test
    void aListedNameGoesWithItsInodeAndTypeOnly() {
        Pointer memory = zeroed(256);
        FileStat stat = FileStat.of(memory);
        FuseAbi.fillDirectoryEntry(memory, 0x1234_5678_9aL, EntryType.SYMLINK.fileTypeBits());
        assertEquals(0x1234_5678_9aL, stat.st_ino.longValue());
        assertEquals(FileStat.S_IFLNK, stat.st_mode.intValue());
        assertEquals(0, stat.st_size.longValue());
        assertEquals(0, stat.st_nlink.longValue());
    }

    @Test
    void theCallbacksAreAtTheirSlotsOfFuseOperations() {
        // libfuse 2.9's struct fuse_operations, one pointer each from getattr at 0.
        assertEquals(0, FuseAbi.Slot.GETATTR.offset());
        assertEquals(8, FuseAbi.Slot.READLINK.offset());
        assertEquals(4 * 8, FuseAbi.Slot.MKDIR.offset());
        assertEquals(9 * 8, FuseAbi.Slot.LINK.offset());
        assertEquals(26 * 8, FuseAbi.Slot.READDIR.offset());
        assertEquals(32 * 8, FuseAbi.Slot.CREATE.offset());
        assertEquals(36 * 8, FuseAbi.Slot.UTIMENS.offset());
        assertTrue(FuseAbi.Slot.UTIMENS.offset() < FuseAbi.FLAGS_OFFSET, "every slot lies before the flags");
    }
}
