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
 * <p>Calls that overlap share the CPUs as the kernel shares them: while {@code k} workers are
 * calling, each call advances at the pace {@code CallTime} gives for {@code k} calls at once, so a
 * call that runs alone on a lightly loaded server takes its time alone, and one that two workers'
 * calls overlap for half its length takes half of each. What it leaves out: HTTP, tokenization and
 * retrieval around the batcher, background (catalog update) calls, and cores shared with anything
 * else, which belong in the {@code CallTime}.
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

    /**
     * The time of one model call of {@code texts} texts padded to {@code paddedTokens} tokens in
     * all, while {@code running} calls (this one among them, at most the workers) run throughout.
     */
    @FunctionalInterface
    public interface CallTime {
        long nanos(int texts, int paddedTokens, int running);
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
    private long now;

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
        long until; // FILLING: when it stops waiting; RUNNING: when its current call ends at the present pace
        final List<Integer> batch = new ArrayList<>();
        // RUNNING: the batch's live requests, shortest first, the ends of its calls in them, the
        // call under way, when it and the batch began, and the share of its work still to do
        final List<Integer> live = new ArrayList<>();
        int[] callEnds = new int[0];
        int call;
        long callStart;
        long batchStart;
        double left;

        int from() {
            return call == 0 ? 0 : callEnds[call - 1];
        }

        int texts() {
            return callEnds[call] - from();
        }
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
            advance(due == null || arrival <= due.until ? arrival : due.until);
            if (due == null || arrival <= due.until) {
                arrive(next++);
            } else if (due.state == State.FILLING) {
                start(due, now);
            } else {
                due.left = 0;
                callEnded(due);
            }
            pace();
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
        w.live.clear();
        for (int i : w.batch) {
            Arrival a = arrivals.get(i);
            if (now > a.atNanos() + a.timeoutNanos()) {
                outcomes[i] = new Outcome(a, Fate.EXPIRED, now - a.atNanos(), 0, 0);
            } else {
                w.live.add(i);
            }
        }
        w.batch.clear();
        if (w.live.isEmpty()) {
            w.state = State.IDLE;
            take(w, now);
            return;
        }
        w.live.sort(Comparator.comparingInt(i -> arrivals.get(i).tokens()));
        int[] lengths = w.live.stream().mapToInt(i -> arrivals.get(i).tokens()).toArray();
        w.callEnds = Grouping.split(lengths, callCost.fixedTokens(), settings.maxTokens()).stream().mapToInt(Integer::intValue).toArray();
        w.call = 0;
        w.batchStart = now;
        startCall(w, now);
    }

    private void startCall(Worker w, long now) {
        w.state = State.RUNNING;
        w.callStart = now;
        w.left = 1;
        calls.add(w.texts());
    }

    /** Its call is done: its requests answered, then the batch's next call, or the next batch. */
    private void callEnded(Worker w) {
        int from = w.from();
        int to = w.callEnds[w.call];
        callCost.record(padded(w), now - w.callStart);
        for (int k = from; k < to; k++) {
            int i = w.live.get(k);
            Arrival a = arrivals.get(i);
            outcomes[i] = new Outcome(a, Fate.ANSWERED, w.batchStart - a.atNanos(), now - a.atNanos(), to - from);
        }
        lastAnswer = Math.max(lastAnswer, now);
        if (++w.call < w.callEnds.length) {
            startCall(w, now);
            return;
        }
        busyNanos += now - w.batchStart;
        batchNanos = BatchPolicy.smoothed(batchNanos, now - w.batchStart); // learned as the batcher does, when it ends
        w.state = State.IDLE; // its batch is answered; it looks for the next
        take(w, now);
    }

    /** The call's texts times its longest: the sizes are sorted, so the last. */
    private int padded(Worker w) {
        return w.texts() * arrivals.get(w.live.get(w.callEnds[w.call] - 1)).tokens();
    }

    private long callNanos(Worker w, int running) {
        return Math.max(1, callTime.nanos(w.texts(), padded(w), running));
    }

    private int running() {
        return (int) Arrays.stream(workers).filter(w -> w.state == State.RUNNING).count();
    }

    /** Moves virtual time to {@code to}: every running call does its share of work at the present pace. */
    private void advance(long to) {
        int running = running();
        for (Worker w : workers) {
            if (w.state == State.RUNNING && to > now) {
                w.left = Math.max(0, w.left - (double) (to - now) / callNanos(w, running));
            }
        }
        now = Math.max(now, to);
    }

    /** When each running call ends if as many calls keep running. */
    private void pace() {
        int running = running();
        for (Worker w : workers) {
            if (w.state == State.RUNNING) {
                w.until = now + (long) Math.ceil(w.left * callNanos(w, running));
            }
        }
    }
}
