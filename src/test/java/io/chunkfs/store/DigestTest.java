package io.chunkfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
    static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void knownVectors() {
        assertEquals(EMPTY, Digest.sha256(new byte[0]).toString());
        assertEquals(ABC, Digest.sha256("abc".getBytes(StandardCharsets.UTF_8)).toString());
        assertEquals("ba", Digest.sha256("abc".getBytes(StandardCharsets.UTF_8)).prefix());
    }

    @Test
    void parseRoundTripsAndEquality() {
        Digest parsed = Digest.parse(ABC);
        assertEquals(ABC, parsed.toString());
        assertEquals(Digest.sha256("abc".getBytes(StandardCharsets.UTF_8)), parsed);
        assertEquals(Digest.sha256("abc".getBytes(StandardCharsets.UTF_8)).hashCode(), parsed.hashCode());
        assertNotEquals(Digest.parse(EMPTY), parsed);
        assertEquals(parsed, Digest.of(parsed.toBytes()));
        assertTrue(Digest.parse(EMPTY).compareTo(parsed) > 0);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "abc",
                "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
                "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a "
            })
    void rejectsAnythingButSixtyFourLowercaseHex(String text) {
        assertFalse(Digest.isValid(text));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Digest.parse(text));
        assertTrue(error.getMessage().contains("64 lowercase hex"), error.getMessage());
    }

    @Test
    void rejectsNullAndWrongByteCounts() {
        assertFalse(Digest.isValid(null));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse(null));
        assertThrows(IllegalArgumentException.class, () -> Digest.of(new byte[31]));
    }
}
