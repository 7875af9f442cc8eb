package dev.recops.engine;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting for something outside the process (a replica ready, a balancer's view, a scrape): the
 * one poll-until-deadline loop, and the one sleep whose interrupt ends the work as cancelled.
 */
public final class Poll {
    private Poll() {}

    /**
     * Asks {@code condition} at once and then every {@code interval} until it holds or {@code
     * timeout} has passed since the call; the condition may throw to give up early (a process that
     * exited).
     *
     * @return whether it held
     * @throws RecopsException.Cancelled when the thread is interrupted
     */
    public static boolean until(Duration timeout, Duration interval, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            sleep(Duration.ofNanos(Math.min(left, interval.toNanos())));
        }
    }

    /** @throws RecopsException.Cancelled when the thread is interrupted (its flag set again) */
    public static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecopsException.Cancelled("interrupted", "interrupted");
        }
    }
}
