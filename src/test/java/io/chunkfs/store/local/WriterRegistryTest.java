package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WriterRegistryTest {
    @Test
    void numbersAreTwentyAsciiDigitsWithLeadingZeros() {
        assertEquals("00000000000000000000", WriterRegistry.number(0));
        assertEquals("00000001764159000123", WriterRegistry.number(1_764_159_000_123L));
        assertEquals("00099999999999999999", WriterRegistry.number(99_999_999_999_999_999L));
        assertEquals("09223372036854775807", WriterRegistry.number(Long.MAX_VALUE));
    }
}
