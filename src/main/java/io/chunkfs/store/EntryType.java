package io.chunkfs.store;

/**
 * The kinds of entry a {@link Namespace} holds: those of a Linux file tree. Each has a fixed {@link #code()},
 * which is what a database stores: never renumber them.
 */
public enum EntryType {
    REGULAR(1, 0100000),
    FOLDER(2, 0040000),
    SYMLINK(3, 0120000),
    FIFO(4, 0010000),
    SOCKET(5, 0140000),
    CHAR_DEVICE(6, 0020000),
    BLOCK_DEVICE(7, 0060000);

    private final int code;
    private final int fileTypeBits;

    EntryType(int code, int fileTypeBits) {
        this.code = code;
        this.fileTypeBits = fileTypeBits;
    }

    /** The number a database stores for this type. */
    public int code() {
        return code;
    }

    /** The {@code S_IFMT} bits of {@code st_mode} for this type. */
    public int fileTypeBits() {
        return fileTypeBits;
    }

    /** The type stored as {@code code}. */
    public static EntryType ofCode(int code) {
        for (EntryType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new IllegalArgumentException("no entry type has the code " + code);
    }
}
