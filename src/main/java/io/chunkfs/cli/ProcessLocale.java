package io.chunkfs.cli;

import java.util.Locale;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * The locale settings of this process that chunkfs depends on, made first thing in {@code main}:
 * setlocale is not safe while other threads may call strerror, and Java's default locale must not
 * change under running threads; at that point only the JVM's own threads run.
 */
final class ProcessLocale {
    /** {@code LC_MESSAGES} in glibc's {@code <locale.h>}. */
    private static final int LC_MESSAGES = 5;

    public interface LibC {
        Pointer setlocale(int category, String locale);
    }

    private ProcessLocale() {}

    /**
     * Sets LC_MESSAGES to "C". The JDK builds IOException messages from {@code strerror}, which follows
     * LC_MESSAGES: under de_DE a full disk reads "Auf dem Gerät ist kein Speicherplatz mehr verfügbar",
     * and the FUSE layer ({@code Errno.of}), which falls back to matching the English text for exceptions
     * that carry no errno (a {@code PosixException} does), would answer EIO instead of ENOSPC. Only
     * LC_MESSAGES changes: LC_CTYPE stays as the environment set it, because file names are decoded in
     * its charset (UTF-8 for non-ASCII names).
     *
     * <p>This is also the process's first native call, made under {@code Locale.ROOT}: jffi (under
     * jnr-ffi and jnr-fuse) names its native stub with {@code String.format} in the default locale when
     * first used, so under ar_EG it looks for {@code libjffi-١.٢.so} and every native call would fail.
     */
    static void setUp() {
        Locale format = Locale.getDefault(Locale.Category.FORMAT);
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
        try {
            LibraryLoader.create(LibC.class).load("c").setlocale(LC_MESSAGES, "C");
        } catch (LinkageError | RuntimeException e) {
            // no native access here: messages stay as they were, and so would every native call fail
        } finally {
            Locale.setDefault(Locale.Category.FORMAT, format);
        }
    }
}
