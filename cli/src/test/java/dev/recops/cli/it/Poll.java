package dev.recops.cli.it;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Waiting in black-box tests: looks at what a process shows (a log file, a tmux pane, /metrics)
 * until it holds, and fails with what it saw last. The limit only bounds a hang; nothing waits a
 * fixed time.
 */
final class Poll {
    private Poll() {}

    /** Returns the look that held. */
    static String until(String what, Duration limit, Callable<String> look, Predicate<String> holds) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String seen = look.call();
        while (!holds.test(seen)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what + " after " + limit.toSeconds() + " s; last seen:\n" + seen);
            }
            LockSupport.parkNanos(50_000_000);
            seen = look.call();
        }
        return seen;
    }
}
