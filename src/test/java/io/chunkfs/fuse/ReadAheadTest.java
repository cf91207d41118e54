package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReadAheadTest {
    /** glibc's makedev(), the inverse of what is tested. */
    private static long makedev(long major, long minor) {
        return ((major & 0xfffL) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xffL) | ((minor & ~0xffL) << 12);
    }

    @Test
    void theSettingIsFoundByTheMountsDeviceNumbers() {
        assertEquals(Path.of("/sys/class/bdi/0:44/read_ahead_kb"), ReadAhead.settingOf(makedev(0, 44)));
        // FUSE mounts get anonymous devices 0:N; N passes 255 on a machine with many mounts.
        assertEquals(Path.of("/sys/class/bdi/0:300/read_ahead_kb"), ReadAhead.settingOf(makedev(0, 300)));
        assertEquals(Path.of("/sys/class/bdi/259:1048575/read_ahead_kb"), ReadAhead.settingOf(makedev(259, 0xfffff)));
        assertEquals(Path.of("/sys/class/bdi/4095:255/read_ahead_kb"), ReadAhead.settingOf(makedev(4095, 255)));
        assertEquals(Path.of("/sys/class/bdi/74565:1/read_ahead_kb"), ReadAhead.settingOf(makedev(0x12345, 1)));
    }
}
