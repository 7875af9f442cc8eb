package dev.recops.engine;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for a condition a test can observe (a metric, a count, a state), polling every 10 ms.
 * The limit is only there so that a broken build fails instead of hanging; it is generous and
 * never what a test asserts.
 */
public final class Await {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private Await() {}

    /** Returns once {@code condition} holds; fails with {@code what} if it never does. */
    public static void until(String what, Callable<Boolean> condition) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        try {
            while (!condition.call()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("gave up waiting until " + what);
                }
                LockSupport.parkNanos(10_000_000);
            }
        } catch (Exception e) {
            throw new AssertionError("while waiting until " + what + ": " + e, e);
        }
    }
}
