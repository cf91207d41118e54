package io.chunkfs.store;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import jnr.constants.platform.Errno;

/**
 * The name of an entry in a folder of the {@link Namespace}: 1 to 255 bytes, any byte but {@code /} and NUL,
 * neither {@code .} nor {@code ..}. Names are bytes, not text, as on Linux: a name that is not UTF-8 (Latin-1
 * from an old archive) is kept exactly. Ordered by unsigned bytes, the order SQL databases give {@code BLOB}
 * and {@code bytea} columns. Immutable.
 */
public final class EntryName implements Comparable<EntryName> {
    /** Linux's {@code NAME_MAX}. */
    public static final int MAX_BYTES = 255;

    private final byte[] bytes;

    private EntryName(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * The name with these bytes.
     *
     * @throws PosixException ENAMETOOLONG for more than {@link #MAX_BYTES} bytes, EINVAL for an empty name, one
     *     holding {@code /} or NUL, {@code .} or {@code ..}
     */
    public static EntryName of(byte[] bytes) throws PosixException {
        if (bytes.length > MAX_BYTES) {
            throw new PosixException("name", shown(bytes, 40) + "…", Errno.ENAMETOOLONG.intValue());
        }
        boolean dots = bytes.length <= 2 && bytes.length > 0 && bytes[0] == '.' && bytes[bytes.length - 1] == '.';
        if (bytes.length == 0 || dots) {
            throw new PosixException("name", "'" + shown(bytes, MAX_BYTES) + "'", Errno.EINVAL.intValue());
        }
        for (byte b : bytes) {
            if (b == '/' || b == 0) {
                throw new PosixException("name", shown(bytes, MAX_BYTES), Errno.EINVAL.intValue());
            }
        }
        return new EntryName(bytes.clone());
    }

    /** The name whose bytes are {@code name} in UTF-8; see {@link #of(byte[])}. */
    public static EntryName of(String name) throws PosixException {
        return of(name.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /** Whether the name is valid UTF-8 (then {@link #toString()} is exactly that text). */
    public boolean isUtf8() {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /**
     * The name as one line of text: its UTF-8, with each byte that is not part of valid UTF-8 and each control
     * character (below 0x20, and 0x7f) written {@code \xHH}, and a backslash written {@code \\}, so that the text
     * names exactly one byte string; as {@code chunkfs receipts} prints names.
     */
    public String escaped() {
        return shown(bytes, MAX_BYTES);
    }

    private static String shown(byte[] bytes, int limit) {
        StringBuilder text = new StringBuilder();
        int end = Math.min(bytes.length, limit);
        int i = 0;
        while (i < end) {
            int length = utf8Length(bytes, i, end);
            if (length == 0 || (length == 1 && (bytes[i] < 0x20 || bytes[i] == 0x7f))) {
                text.append("\\x").append(HexFormat.of().toHexDigits(bytes[i]));
                i++;
            } else {
                String character = new String(bytes, i, length, StandardCharsets.UTF_8);
                text.append(character.equals("\\") ? "\\\\" : character);
                i += length;
            }
        }
        return text.toString();
    }

    /** The length of the well-formed UTF-8 sequence at {@code i}, or 0 if there is none. */
    private static int utf8Length(byte[] b, int i, int end) {
        int first = b[i] & 0xff;
        int length;
        int min;
        if (first < 0x80) {
            return 1;
        } else if (first >= 0xc2 && first <= 0xdf) {
            length = 2;
            min = 0x80;
        } else if (first >= 0xe0 && first <= 0xef) {
            length = 3;
            min = 0x800;
        } else if (first >= 0xf0 && first <= 0xf4) {
            length = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + length > end) {
            return 0;
        }
        int code = first & (0x3f >> (length - 1));
        for (int k = 1; k < length; k++) {
            int next = b[i + k] & 0xff;
            if ((next & 0xc0) != 0x80) {
                return 0;
            }
            code = (code << 6) | (next & 0x3f);
        }
        boolean surrogate = code >= 0xd800 && code <= 0xdfff;
        return code < min || code > 0x10ffff || surrogate ? 0 : length;
    }

    @Override
    public int compareTo(EntryName other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EntryName name && Arrays.equals(bytes, name.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The name's UTF-8 text if it is valid UTF-8, else {@link #escaped()}. */
    @Override
    public String toString() {
        return isUtf8() ? new String(bytes, StandardCharsets.UTF_8) : escaped();
    }
}
