package dev.recops.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A discrete-event simulation of one {@code engine.batch.Batcher} in virtual time: the same
 * {@link BatchPolicy} and the same policy (its admission rule, its wait to fill only under
 * load, its smoothed batch time), the same split of a batch into calls ({@link Grouping} under a
 * {@link CallCost} learned from the simulated calls), with the time of each model call from a
 * {@link CallTime} (a profile of the real model). Fed arrivals (constant, Poisson, or an access
 * log's timestamps), it gives what the batcher would do: each request's wait, latency and fate,
 * the batch and call sizes, and the workers' busy share. Deterministic for its inputs.
 *
 * <p>What it leaves out: HTTP, tokenization and retrieval around the batcher, background
 * (catalog update) calls, and cores shared with anything else: a call's time is whatever
 * {@code CallTime} says, so contention belongs in that profile.
 */
public final class BatchSimulation {

    /**
     * One request.
     *
     * @param atNanos arrival, from the simulation's start
     * @param tokens its token length
     * @param timeoutNanos its deadline, after arrival
     */
    public record Arrival(long atNanos, int tokens, long timeoutNanos) {}

    /** The time of one model call of {@code texts} texts padded to {@code paddedTokens} tokens in all. */
    @FunctionalInterface
    public interface CallTime {
        long nanos(int texts, int paddedTokens);
    }

    public enum Fate { ANSWERED, SHED_QUEUE_FULL, SHED_DEADLINE, EXPIRED }

    /**
     * @param waitNanos arrival to leaving the queue (answered and expired requests)
     * @param latencyNanos arrival to answer (answered requests)
     * @param callSize texts in the model call that answered it
     */
    public record Outcome(Arrival arrival, Fate fate, long waitNanos, long latencyNanos, int callSize) {}

    /**
     * @param batches requests per batch a worker took, in order (before dropping expired ones)
     * @param calls texts per model call, in order
     * @param busyShare the workers' busy time over (workers x the span to the last answer)
     */
    public record Result(List<Outcome> outcomes, List<Integer> batches, List<Integer> calls, double busyShare) {
        /** The latency (ms) at {@code percentile} over the answered requests; NaN when none was. */
        public double latencyMillis(double percentile) {
            return atPercentile(outcomes.stream().filter(o -> o.fate() == Fate.ANSWERED).mapToDouble(o -> o.latencyNanos() / 1e6).sorted().toArray(),
                    percentile);
        }

        public long count(Fate fate) {
            return outcomes.stream().filter(o -> o.fate() == fate).count();
        }
    }

    private final BatchPolicy settings;
    private final List<Arrival> arrivals;
    private final CallTime callTime;
    private final Outcome[] outcomes;
    private final ArrayDeque<Integer> queue = new ArrayDeque<>();
    private final Worker[] workers;
    private final CallCost callCost = new CallCost();
    private final List<Integer> batches = new ArrayList<>();
    private final List<Integer> calls = new ArrayList<>();
    private double batchNanos;
    private long busyNanos;
    private long lastAnswer;

    /** The value at {@code percentile} (nearest rank) of values sorted ascending; NaN when there are none. */
    public static double atPercentile(double[] sorted, double percentile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.clamp((int) Math.ceil(percentile / 100 * sorted.length) - 1, 0, sorted.length - 1)];
    }

    private enum State { IDLE, FILLING, RUNNING }

    private static final class Worker {
        State state = State.IDLE;
        long until; // FILLING: when it stops waiting; RUNNING: when its batch ends
        long batchNanos = -1; // RUNNING: the batch's time, learned (as the batcher does) when it ends
        final List<Integer> batch = new ArrayList<>();
    }

    private BatchSimulation(BatchPolicy settings, List<Arrival> arrivals, CallTime callTime) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.arrivals = arrivals.stream().sorted(Comparator.comparingLong(Arrival::atNanos)).toList();
        this.callTime = Objects.requireNonNull(callTime, "callTime");
        this.outcomes = new Outcome[this.arrivals.size()];
        this.workers = new Worker[settings.workers()];
        Arrays.setAll(workers, i -> new Worker());
    }

    /** Runs every arrival through a batcher with {@code settings}; outcomes in arrival order. */
    public static Result run(BatchPolicy settings, List<Arrival> arrivals, CallTime callTime) {
        return new BatchSimulation(settings, arrivals, callTime).run();
    }

    private Result run() {
        int next = 0;
        while (true) {
            long arrival = next < arrivals.size() ? arrivals.get(next).atNanos() : Long.MAX_VALUE;
            Worker due = null;
            for (Worker w : workers) {
                if (w.state != State.IDLE && (due == null || w.until < due.until)) {
                    due = w;
                }
            }
            if (arrival == Long.MAX_VALUE && due == null) {
                break;
            }
            if (due == null || arrival <= due.until) {
                arrive(next++);
            } else if (due.state == State.FILLING) {
                start(due, due.until);
            } else {
                if (due.batchNanos >= 0) {
                    batchNanos = BatchPolicy.smoothed(batchNanos, due.batchNanos);
                }
                due.state = State.IDLE; // its batch is answered; it looks for the next
                take(due, due.until);
            }
        }
        long span = Math.max(1, lastAnswer - (arrivals.isEmpty() ? 0 : arrivals.getFirst().atNanos()));
        return new Result(List.of(outcomes), List.copyOf(batches), List.copyOf(calls), (double) busyNanos / (span * (long) workers.length));
    }

    private int busy() {
        return (int) Arrays.stream(workers).filter(w -> w.state != State.IDLE).count();
    }

    private void arrive(int i) {
        Arrival a = arrivals.get(i);
        long now = a.atNanos();
        int depth = queue.size();
        if (depth >= settings.queueCapacity()) {
            outcomes[i] = new Outcome(a, Fate.SHED_QUEUE_FULL, 0, 0, 0);
            return;
        }
        if (settings.deadlineUnreachable(depth, busy(), batchNanos, now, now + a.timeoutNanos())) {
            outcomes[i] = new Outcome(a, Fate.SHED_DEADLINE, 0, 0, 0);
            return;
        }
        for (Worker w : workers) {
            if (w.state == State.FILLING) { // it is polling the queue for more
                w.batch.add(i);
                if (w.batch.size() >= settings.maxBatch()) {
                    start(w, now);
                }
                return;
            }
        }
        queue.addLast(i);
        for (Worker w : workers) {
            if (w.state == State.IDLE) { // woken by the arrival
                take(w, now);
                return;
            }
        }
    }

    /** An idle worker takes what is queued, up to a batch, and runs it or waits for it to fill. */
    private void take(Worker w, long now) {
        if (queue.isEmpty()) {
            return;
        }
        w.batch.clear();
        while (!queue.isEmpty() && w.batch.size() < settings.maxBatch()) {
            w.batch.add(queue.pollFirst());
        }
        w.state = State.FILLING; // busy from taking work
        long fillUntil = arrivals.get(w.batch.getFirst()).atNanos() + settings.maxDelay().toNanos();
        if (settings.waitsToFill(w.batch.size(), busy()) && fillUntil > now) {
            w.until = fillUntil;
        } else {
            start(w, now);
        }
    }

    /** Runs a worker's batch: expired requests dropped, the rest split into calls of similar length. */
    private void start(Worker w, long now) {
        batches.add(w.batch.size());
        List<Integer> live = new ArrayList<>();
        for (int i : w.batch) {
            Arrival a = arrivals.get(i);
            if (now > a.atNanos() + a.timeoutNanos()) {
                outcomes[i] = new Outcome(a, Fate.EXPIRED, now - a.atNanos(), 0, 0);
            } else {
                live.add(i);
            }
        }
        live.sort(Comparator.comparingInt(i -> arrivals.get(i).tokens()));
        int[] lengths = live.stream().mapToInt(i -> arrivals.get(i).tokens()).toArray();
        long t = now;
        int from = 0;
        for (int to : Grouping.split(lengths, callCost.fixedTokens(), settings.maxTokens())) {
            int padded = (to - from) * lengths[to - 1];
            long took = callTime.nanos(to - from, padded);
            callCost.record(padded, took);
            calls.add(to - from);
            t += took;
            for (int k = from; k < to; k++) {
                int i = live.get(k);
                Arrival a = arrivals.get(i);
                outcomes[i] = new Outcome(a, Fate.ANSWERED, now - a.atNanos(), t - a.atNanos(), to - from);
            }
            from = to;
        }
        w.batchNanos = live.isEmpty() ? -1 : t - now;
        if (!live.isEmpty()) {
            lastAnswer = Math.max(lastAnswer, t);
        }
        busyNanos += t - now;
        w.state = State.RUNNING;
        w.until = t;
        w.batch.clear();
    }
}
