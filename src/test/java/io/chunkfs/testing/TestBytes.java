package io.chunkfs.testing;

import java.util.Random;

/** Test data that only a seed decides, so that a failure can be replayed. */
public final class TestBytes {
    private TestBytes() {}

    /** {@code size} pseudo-random bytes from {@code seed}. */
    public static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
