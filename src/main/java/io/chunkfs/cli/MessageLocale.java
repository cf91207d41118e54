package io.chunkfs.cli;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * Puts this process's C library messages in the C locale. The JDK builds IOException messages from
 * {@code strerror}, which follows LC_MESSAGES: under de_DE a full disk reads "Auf dem Gerät ist kein
 * Speicherplatz mehr verfügbar", and the FUSE layer ({@code Errno.of}), which falls back to matching the
 * English text for exceptions that carry no errno (a {@code PosixException} does), would answer EIO
 * instead of ENOSPC. Only LC_MESSAGES changes: LC_CTYPE stays as the environment set it, because file
 * names are decoded in its charset (UTF-8 for non-ASCII names).
 */
final class MessageLocale {
    /** {@code LC_MESSAGES} in glibc's {@code <locale.h>}. */
    private static final int LC_MESSAGES = 5;

    public interface LibC {
        Pointer setlocale(int category, String locale);
    }

    private MessageLocale() {
    }

    /**
     * Sets LC_MESSAGES to "C". Called first thing in {@code main}: setlocale is not safe while other threads
     * may call strerror, and at that point only the JVM's own threads run. A failure is ignored: messages
     * then stay as they were, which is where we started.
     */
    static void useC() {
        try {
            LibraryLoader.create(LibC.class).load("c").setlocale(LC_MESSAGES, "C");
        } catch (LinkageError | RuntimeException e) {
            // no libc to call (not Linux): nothing to change
        }
    }
}
