package io.chunkfs.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test needs from the machine (FUSE, root, bindfs, a locale). In CI ({@code CI=true}) the machine is
 * set up for every test, so a missing need fails the test; elsewhere the test is skipped with the reason.
 */
public final class Requirement {
    private Requirement() {}

    public static boolean inCi() {
        return "true".equals(System.getenv("CI"));
    }

    /** Fails in CI, skips elsewhere, unless {@code met}. */
    public static void require(boolean met, String what) {
        if (inCi()) {
            assertTrue(met, "CI=true but " + what);
        } else {
            assumeTrue(met, what);
        }
    }
}
