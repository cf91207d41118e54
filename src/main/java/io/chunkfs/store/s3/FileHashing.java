package io.chunkfs.store.s3;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/** Feeds the first {@code size} bytes of a file to a hash, with positional reads (the channel's position stays). */
final class FileHashing {
    private FileHashing() {}

    static void update(MessageDigest hasher, FileChannel channel, long size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        for (long position = 0; position < size; ) {
            buffer.clear();
            int n = channel.read(buffer, position);
            if (n < 0) {
                break;
            }
            buffer.flip();
            hasher.update(buffer);
            position += n;
        }
    }

    /** The digest of the first {@code size} bytes. */
    static Digest digest(FileChannel channel, long size) throws IOException {
        MessageDigest sha256 = Digest.newSha256();
        update(sha256, channel, size);
        return Digest.of(sha256.digest());
    }
}
