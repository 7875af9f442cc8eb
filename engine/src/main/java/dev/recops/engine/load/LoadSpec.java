package dev.recops.engine.load;

import dev.recops.engine.RecopsException;

import java.time.Duration;
import java.util.Objects;

/**
 * How to load a target.
 *
 * @param mode {@link Mode#OPEN}: requests start at {@code rate} per second whatever the responses
 *     do, and latency counts from each request's intended start; {@link Mode#CLOSED}:
 *     {@code concurrency} clients each send the next request when the previous one is answered
 * @param rate requests per second, open loop only
 * @param arrivals constant spacing or Poisson (exponential gaps), open loop only
 * @param concurrency clients, closed loop only
 * @param duration the measured time, after {@code warmup}
 * @param warmup load that is sent but not measured
 * @param maxInFlight open loop: a request due while this many are unanswered is dropped (and
 *     counted), never queued in the generator
 * @param timeout a request unanswered this long is a {@code timeout} error
 */
public record LoadSpec(Mode mode, double rate, Arrivals arrivals, int concurrency, Duration duration, Duration warmup,
                       int maxInFlight, Duration timeout) {

    public enum Mode { OPEN, CLOSED }

    public enum Arrivals { CONSTANT, POISSON }

    public LoadSpec {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(arrivals, "arrivals");
        if (mode == Mode.OPEN && !(rate > 0 && rate <= 1_000_000)) {
            throw new RecopsException.InvalidInput("bad_rate", "the rate must be in (0, 1000000] requests per second, not " + rate);
        }
        if (mode == Mode.CLOSED && (concurrency < 1 || concurrency > 100_000)) {
            throw new RecopsException.InvalidInput("bad_concurrency", "the concurrency must be in 1..100000, not " + concurrency);
        }
        positive(duration, "duration");
        if (warmup.isNegative()) {
            throw new RecopsException.InvalidInput("bad_warmup", "the warm-up cannot be negative");
        }
        positive(timeout, "timeout");
        if (maxInFlight < 1) {
            throw new RecopsException.InvalidInput("bad_max_in_flight", "--max-in-flight must be at least 1, not " + maxInFlight);
        }
    }

    private static void positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new RecopsException.InvalidInput("bad_" + what, "the " + what + " must be positive");
        }
    }

    public LoadSpec withRate(double r) {
        return new LoadSpec(Mode.OPEN, r, arrivals, concurrency, duration, warmup, maxInFlight, timeout);
    }

    public LoadSpec withConcurrency(int c) {
        return new LoadSpec(Mode.CLOSED, rate, arrivals, c, duration, warmup, maxInFlight, timeout);
    }
}
