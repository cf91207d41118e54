package io.chunkfs.store.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Part of a file as an input stream, read with positional reads, so that several slices of one channel (the
 * parts of an upload, a retry of the same part) read side by side without moving a shared position.
 */
final class ChannelSlice extends InputStream {
    private final FileChannel channel;
    private long position;
    private final long end;

    ChannelSlice(FileChannel channel, long from, long length) {
        this.channel = channel;
        this.position = from;
        this.end = from + length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (position >= end) {
            return -1;
        }
        int wanted = (int) Math.min(length, end - position);
        int n = channel.read(ByteBuffer.wrap(buffer, offset, wanted), position);
        if (n < 0) {
            throw new IOException("the file ended " + (end - position) + " bytes early while it was uploaded");
        }
        position += n;
        return n;
    }
}
