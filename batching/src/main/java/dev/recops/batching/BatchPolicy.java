package dev.recops.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * The batching policy: the settings of one batcher and the rules the running batcher ({@code
 * engine.batch.Batcher}) and its simulation ({@link BatchSimulation}) share, so that what the
 * latency model simulates is what serve does.
 *
 * @param maxBatch texts per model call, 1..1024 (1 disables batching)
 * @param maxDelay longest wait for a batch to fill when every other worker is busy; zero for none
 * @param queueCapacity requests waiting at most, 1..1_000_000
 * @param workers concurrent model calls, 1..256
 * @param maxTokens padded tokens (texts x the longest) per model call at most, 0 for no budget;
 *     a batch over it runs as several calls, and a text longer than it alone
 */
public record BatchPolicy(int maxBatch, Duration maxDelay, int queueCapacity, int workers, int maxTokens) {
    /**
     * serve's token budget unless told: the model's cost per padded token is within about 5% of
     * its best from 256 tokens a call on (bge-small int8, one thread, testdata/latency/profile.csv),
     * while the call's time keeps growing with it.
     */
    public static final int DEFAULT_MAX_TOKENS = 256;

    /** Without a token budget. */
    public BatchPolicy(int maxBatch, Duration maxDelay, int queueCapacity, int workers) {
        this(maxBatch, maxDelay, queueCapacity, workers, 0);
    }

    public BatchPolicy {
        if (maxTokens < 0 || maxTokens > 1_000_000) {
            throw new IllegalArgumentException("token budget must be in 0..1000000, not " + maxTokens);
        }
        check(maxBatch, 1, 1024, "batch size");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.isNegative() || maxDelay.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("batch delay must be in 0..1s, not " + maxDelay);
        }
        check(queueCapacity, 1, 1_000_000, "queue capacity");
        check(workers, 1, 256, "workers");
    }

    /**
     * The deadline rule of admission, shared with {@link BatchSimulation}: a request is refused
     * when the batches ahead of it (the queue over every worker's batch), plus its own, cannot
     * end by its deadline at the smoothed batch time. An idle worker and an empty queue always
     * take it: the estimate only learns from batches that run, so refusing these too would keep
     * a model that was slow once refused for good; if it is still slow, the request's deadline
     * and the version's circuit breaker deal with it.
     *
     * @param batchNanos the smoothed time of one batch, 0 before the first
     */
    public boolean deadlineUnreachable(int depth, int busyWorkers, double batchNanos, long nowNanos, long deadlineNanos) {
        boolean startsNow = depth == 0 && busyWorkers < workers;
        if (batchNanos <= 0 || (startsNow && nowNanos < deadlineNanos)) {
            return false;
        }
        double rounds = Math.floor((double) depth / ((long) maxBatch * workers)) + 1;
        return nowNanos + rounds * batchNanos > deadlineNanos;
    }

    /**
     * Whether a worker holding {@code batchSize} requests waits for more (up to {@link #maxDelay}
     * from the oldest's arrival): only under load, when it found others queued alongside and
     * no other worker is free to take new arrivals at once. A lone request never waits.
     */
    public boolean waitsToFill(int batchSize, int busyWorkers) {
        return batchSize > 1 && batchSize < maxBatch && !maxDelay.isZero() && busyWorkers >= workers;
    }

    /** The smoothed batch time after one more batch. */
    public static double smoothed(double batchNanos, long lastBatchNanos) {
        return batchNanos == 0 ? lastBatchNanos : 0.8 * batchNanos + 0.2 * lastBatchNanos;
    }

    private static void check(int v, int min, int max, String what) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " must be in " + min + ".." + max + ", not " + v);
        }
    }
}
