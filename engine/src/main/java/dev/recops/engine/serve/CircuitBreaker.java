package dev.recops.engine.serve;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * A model version's circuit breaker. Closed: calls go to the model, outcomes are counted over the
 * last {@code window} calls; it opens when at least {@code minFailures} of them failed and they
 * are at least {@code failureRatio} of the window. Open: calls go straight to the degraded path for
 * {@code openFor}. Half-open: one probe call goes to the model; success closes the breaker,
 * failure opens it again. Thread-safe.
 */
final class CircuitBreaker {
    enum State { CLOSED, HALF_OPEN, OPEN }

    private final boolean[] outcomes; // true = failure, a ring over the last calls
    private final int minFailures;
    private final double failureRatio;
    private final long openForNanos;
    private final LongSupplier clock;
    private int next;
    private int recorded;
    private int failures;
    private State state = State.CLOSED;
    private long openUntil;
    private boolean probing;

    CircuitBreaker(int window, int minFailures, double failureRatio, Duration openFor, LongSupplier clock) {
        this.outcomes = new boolean[window];
        this.minFailures = minFailures;
        this.failureRatio = failureRatio;
        this.openForNanos = openFor.toNanos();
        this.clock = clock;
    }

    /** The defaults: 20 calls, at least 5 and half of them failed, open for 5 seconds. */
    static CircuitBreaker standard() {
        return new CircuitBreaker(20, 5, 0.5, Duration.ofSeconds(5), System::nanoTime);
    }

    synchronized State state() {
        return state;
    }

    /** Whether this call may go to the model; in half-open state only the one probe may. */
    synchronized boolean allow() {
        switch (state) {
            case CLOSED -> {
                return true;
            }
            case OPEN -> {
                if (clock.getAsLong() - openUntil < 0) {
                    return false;
                }
                state = State.HALF_OPEN;
                probing = true;
                return true;
            }
            default -> {
                if (probing) {
                    return false;
                }
                probing = true;
                return true;
            }
        }
    }

    synchronized void success() {
        if (state == State.HALF_OPEN) {
            state = State.CLOSED;
            probing = false;
            reset();
        }
        record(false);
    }

    synchronized void failure() {
        if (state == State.HALF_OPEN) {
            open();
            return;
        }
        record(true);
        if (state == State.CLOSED && failures >= minFailures && failures >= failureRatio * recorded) {
            open();
        }
    }

    /** A call that ended without a verdict on the model (shed, cancelled): lets another probe through. */
    synchronized void abandon() {
        probing = false;
    }

    private void open() {
        state = State.OPEN;
        probing = false;
        openUntil = clock.getAsLong() + openForNanos;
        reset();
    }

    private void record(boolean failed) {
        if (recorded == outcomes.length) {
            if (outcomes[next]) {
                failures--;
            }
        } else {
            recorded++;
        }
        outcomes[next] = failed;
        if (failed) {
            failures++;
        }
        next = (next + 1) % outcomes.length;
    }

    private void reset() {
        Arrays.fill(outcomes, false);
        next = 0;
        recorded = 0;
        failures = 0;
    }
}
