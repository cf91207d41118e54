package io.chunkfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Bounded waits for tests. Where a condition has an event (a process exit, a latch) the wait is on that event
 * with a deadline; where it has none (a name appearing in another process's mount) it is polled until a
 * deadline. No test waits without one.
 */
public final class Await {
    private Await() {}

    /** Polls {@code condition} every 10 ms until it holds; fails the test with {@code what} after {@code limit}. */
    public static void until(Duration limit, String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + limit + " for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** The exit code of {@code process}; fails the test (and kills it) if it runs longer than {@code limit}. */
    public static int exit(Process process, Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail("process " + process.pid() + " still running after " + limit);
        }
        return process.exitValue();
    }
}
