package io.chunkfs.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apache.commons.codec.binary.Hex;

/**
 * The SHA-256 digest that names a chunk: 32 bytes, written as 64 lowercase hex characters.
 * Immutable value type; equal digests name the same chunk.
 */
public final class Digest implements Comparable<Digest> {
    public static final int BYTES = 32;
    public static final int HEX_LENGTH = BYTES * 2;

    private final byte[] bytes;
    /** Computed on first use: hashing many chunks rarely needs the text of each digest. */
    private String hex;

    private Digest(byte[] bytes, String hex) {
        this.bytes = bytes;
        this.hex = hex;
    }

    /** Wraps 32 raw digest bytes. */
    public static Digest of(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("a digest has 32 bytes, not " + bytes.length);
        }
        return new Digest(bytes.clone(), null);
    }

    /**
     * Parses 64 lowercase hex characters. Uppercase is refused, like any other character that is
     * not {@code 0-9a-f}, so that one chunk has exactly one name.
     */
    public static Digest parse(String text) {
        if (!isValid(text)) {
            throw new IllegalArgumentException(
                    "not a chunk digest (64 lowercase hex characters): '" + abbreviate(text) + "'");
        }
        byte[] bytes = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            bytes[i] = (byte) ((nibble(text.charAt(2 * i)) << 4) | nibble(text.charAt(2 * i + 1)));
        }
        return new Digest(bytes, text);
    }

    /** True if {@code text} is exactly 64 lowercase hex characters. */
    public static boolean isValid(CharSequence text) {
        if (text == null || text.length() != HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < HEX_LENGTH; i++) {
            if (nibble(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The SHA-256 of {@code data}. */
    public static Digest sha256(byte[] data) {
        return new Digest(newSha256().digest(data), null);
    }

    /** Never updated, only cloned: a clone skips the provider lookup of getInstance, once per file written. */
    private static final MessageDigest SHA256_PROTOTYPE = sha256Instance();

    /** A fresh SHA-256 instance; every JDK has one. */
    public static MessageDigest newSha256() {
        try {
            return (MessageDigest) SHA256_PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return sha256Instance();
        }
    }

    private static MessageDigest sha256Instance() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** The first byte, as the two hex characters that name the chunk's prefix folder. */
    public String prefix() {
        return toString().substring(0, 2);
    }

    /** The first byte, 0 … 255: the index of the chunk's prefix folder. */
    public int prefixIndex() {
        return bytes[0] & 0xff;
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public String toString() {
        String text = hex;
        if (text == null) {
            text = Hex.encodeHexString(bytes, true);
            hex = text;
        }
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Digest digest && Arrays.equals(bytes, digest.bytes);
    }

    @Override
    public int hashCode() {
        return (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
    }

    @Override
    public int compareTo(Digest other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    private static int nibble(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "null";
        }
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }
}
