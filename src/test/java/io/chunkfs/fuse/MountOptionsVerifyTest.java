package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code -o verify=on|off}: on unless turned off, anything else refused in one clear line. */
class MountOptionsVerifyTest {
    @Test
    void verifyIsOnUnlessTurnedOff() {
        assertTrue(MountOptions.defaults("s").verify());
        assertFalse(MountOptions.defaults("s").with("ro,verify=off").verify());
        assertTrue(MountOptions.defaults("s").with("verify=off,verify=on").verify());
        assertTrue(MountOptions.defaults("s").with("verify=off,ro").readOnly(), "other options still apply");
    }

    @Test
    void anythingElseIsRefused() {
        IllegalArgumentException error = assertThrows(
                IllegalArgumentException.class, () -> MountOptions.defaults("s").with("verify=no"));
        assertEquals("bad mount option 'verify=no' (use verify=on or verify=off)", error.getMessage());
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> MountOptions.defaults("s").with("verify"))
                .getMessage()
                .contains("verify=on|off"));
    }
}
