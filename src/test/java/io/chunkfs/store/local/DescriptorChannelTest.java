package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The staged files' channel: what StagedChunk and the backends rely on of a FileChannel. */
class DescriptorChannelTest {
    private static final Syscalls SYS = LinuxSyscalls.INSTANCE;

    @TempDir
    Path dir;

    private Folder folder;

    @BeforeEach
    void open() throws IOException {
        folder = SYS.openRoot(dir);
    }

    @AfterEach
    void close() throws IOException {
        SYS.close(folder);
    }

    @Test
    void aFileCreatedReadOnlyIsWrittenThroughItsChannelAndKeepsItsMode() throws IOException {
        try (FileChannel channel = SYS.create(folder, "staged", 0444)) {
            assertEquals(
                    "r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("staged"))));
            ByteBuffer heap = ByteBuffer.wrap(bytes("xxhello"));
            heap.position(2);
            assertEquals(5, channel.write(heap, 0));
            assertEquals(7, heap.position(), "the buffer's position moves past what was written");
            ByteBuffer direct = ByteBuffer.allocateDirect(16);
            direct.put(bytes("??world")).flip().position(2);
            assertEquals(5, channel.write(direct, 5));
            assertEquals(10, channel.size());
            channel.force(true);
            channel.force(false);
        }
        assertArrayEquals(bytes("helloworld"), Files.readAllBytes(dir.resolve("staged")));
    }

    @Test
    void readsAreFromTheirPositionIntoTheBuffersPositionAndSayEndOfFile() throws IOException {
        try (FileChannel channel = SYS.create(folder, "staged", 0644)) {
            channel.write(ByteBuffer.wrap(bytes("0123456789")), 0);
            ByteBuffer into = ByteBuffer.allocateDirect(8);
            into.position(3);
            assertEquals(5, channel.read(into, 5));
            into.flip().position(3);
            byte[] got = new byte[5];
            into.get(got);
            assertArrayEquals(bytes("56789"), got);
            assertEquals(-1, channel.read(ByteBuffer.allocate(4), 10), "at the end");
            assertEquals(0, channel.read(ByteBuffer.allocate(0), 0), "nothing asked, nothing read");
        }
    }

    @Test
    void relativeCallsMoveThePositionAndTruncateOnlyShortens() throws IOException {
        try (FileChannel channel = SYS.create(folder, "staged", 0644)) {
            channel.write(ByteBuffer.wrap(bytes("abc")));
            channel.write(new ByteBuffer[] {ByteBuffer.wrap(bytes("de")), ByteBuffer.wrap(bytes("f"))});
            assertEquals(6, channel.position());
            channel.position(1);
            ByteBuffer two = ByteBuffer.allocate(2);
            assertEquals(2, channel.read(two));
            assertArrayEquals(bytes("bc"), two.array());
            assertEquals(3, channel.position());
            channel.truncate(100);
            assertEquals(6, channel.size(), "truncate never grows a file");
            channel.truncate(4);
            assertEquals(4, channel.size());
            assertEquals(3, channel.position());
            channel.truncate(2);
            assertEquals(2, channel.position(), "the position comes back to the new end");
        }
    }

    @Test
    void transfersCopyTheBytes() throws IOException {
        try (FileChannel channel = SYS.create(folder, "staged", 0644)) {
            byte[] data = new byte[200_000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            assertEquals(
                    data.length,
                    channel.transferFrom(Channels.newChannel(new java.io.ByteArrayInputStream(data)), 0, data.length));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            assertEquals(data.length, channel.transferTo(0, data.length, Channels.newChannel(out)));
            assertArrayEquals(data, out.toByteArray());
        }
    }

    @Test
    void aClosedChannelRefusesEveryCall() throws IOException {
        FileChannel channel = SYS.create(folder, "staged", 0644);
        channel.close();
        assertTrue(!channel.isOpen());
        assertThrows(ClosedChannelException.class, () -> channel.write(ByteBuffer.wrap(bytes("x")), 0));
        assertThrows(ClosedChannelException.class, () -> channel.read(ByteBuffer.allocate(1), 0));
        assertThrows(ClosedChannelException.class, channel::size);
        assertThrows(ClosedChannelException.class, () -> channel.force(true));
        channel.close();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
