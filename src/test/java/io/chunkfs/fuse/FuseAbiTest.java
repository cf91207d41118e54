package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
