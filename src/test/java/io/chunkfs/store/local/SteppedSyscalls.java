package io.chunkfs.store.local;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link LinuxSyscalls} under a file clock a test can step, as NTP or a resumed VM steps the kernel's: every
 * time the store has the kernel stamp "now" ({@code UTIME_NOW}: the atime probe, touches) is stamped with
 * {@link FileClock#instant()} instead, and the same clock is the store's {@link Clock}. A test may also take over
 * any call ({@link Around}), to put another thread's steps between two of them. A proxy, so that every other call
 * goes to the real one whatever {@link Syscalls} grows.
 */
final class SteppedSyscalls {
    private SteppedSyscalls() {}

    /** The wall clock, stepped by a test. */
    static final class FileClock extends Clock {
        private final AtomicLong stepMillis = new AtomicLong();

        /** Steps the clock by {@code millis} (negative: back). */
        void step(long millis) {
            stepMillis.addAndGet(millis);
        }

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(stepMillis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** Takes over a call: {@code proceed} makes it as it would have been made. */
    @FunctionalInterface
    interface Around {
        Object call(String method, Object[] args, Proceed proceed) throws Throwable;
    }

    @FunctionalInterface
    interface Proceed {
        Object call(Object[] args) throws Throwable;
    }

    static Syscalls create(FileClock clock, Around around) {
        Syscalls real = LinuxSyscalls.INSTANCE;
        InvocationHandler handler = (proxy, method, args) ->
                around.call(method.getName(), args, actual -> invoke(real, method, stamped(clock, method, actual)));
        return (Syscalls)
                Proxy.newProxyInstance(Syscalls.class.getClassLoader(), new Class<?>[] {Syscalls.class}, handler);
    }

    static Syscalls create(FileClock clock) {
        return create(clock, (method, args, proceed) -> proceed.call(args));
    }

    private static Object[] stamped(FileClock clock, Method method, Object[] args) {
        if (!method.getName().equals("setTimes")) {
            return args;
        }
        Object[] copy = args.clone();
        Instant now = clock.instant();
        for (int sec = 2; sec <= 4; sec += 2) {
            if ((long) copy[sec + 1] == Posix.UTIME_NOW) {
                copy[sec] = now.getEpochSecond();
                copy[sec + 1] = (long) now.getNano();
            }
        }
        return copy;
    }

    private static Object invoke(Syscalls real, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
