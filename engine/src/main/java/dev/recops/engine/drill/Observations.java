package dev.recops.engine.drill;

import dev.recops.engine.load.Target;
import dev.recops.engine.load.Workload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * What the drill saw, in slots of {@value #SLOT_MS} ms from its start: every request's outcome
 * and latency (from the load's intended send time, as bench measures it) by the slot it
 * completed in, the replicas ready, and the degraded share. Also a {@link Target} that records
 * each call of the load passing through it. Thread-safe.
 */
final class Observations {
    static final int SLOT_MS = 100;

    private final long startNanos;
    private final List<Slot> slots = new ArrayList<>();

    static final class Slot {
        long ok;
        final TreeMap<String, Long> failures = new TreeMap<>();
        double[] latencies = new double[8];
        int n;
        int ready = -1;
        double degraded = Double.NaN;

        long failed() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    Observations(long startNanos) {
        this.startNanos = startNanos;
    }

    long startNanos() {
        return startNanos;
    }

    int slotAt(long nanos) {
        return (int) Math.max(0, (nanos - startNanos) / 1_000_000 / SLOT_MS);
    }

    int now() {
        return slotAt(System.nanoTime());
    }

    private Slot slot(int i) {
        while (slots.size() <= i) {
            slots.add(new Slot());
        }
        return slots.get(i);
    }

    synchronized void request(long doneNanos, double latencyMs, Target.Outcome o) {
        Slot s = slot(slotAt(doneNanos));
        if (o.answered()) {
            s.ok++; // not lost: a degraded answer is an answer (the degraded probe reads the server's share)
        } else {
            s.failures.merge(o.errorKind(), 1L, Long::sum);
        }
        if (s.n == s.latencies.length) {
            s.latencies = Arrays.copyOf(s.latencies, s.n * 2);
        }
        s.latencies[s.n++] = latencyMs;
    }

    /** A request the load did not send, in the slot it was due in: lost to probes, stop conditions and RTO alike. */
    synchronized void dropped(long intendedNanos) {
        slot(slotAt(intendedNanos)).failures.merge("dropped", 1L, Long::sum);
    }

    synchronized void ready(int count) {
        slot(now()).ready = count;
    }

    synchronized void degraded(double share) {
        slot(now()).degraded = share;
    }

    /** Aggregates over slots {@code [from, to)}. */
    record Window(long ok, long failed, TreeMap<String, Long> failures, double p99, double p95, double p50, int minReady, double degraded) {
        long requests() {
            return ok + failed;
        }

        double errorShare() {
            return requests() == 0 ? Double.NaN : (double) failed / requests();
        }

        /** A probe's measured value here: NaN when there is nothing to judge by (no request completed). */
        double value(Experiment.Probe.Metric metric) {
            return switch (metric) {
                case ERRORS -> errorShare();
                case P50 -> p50;
                case P95 -> p95;
                case P99 -> p99;
                case DEGRADED -> degraded;
                case READY -> minReady < 0 ? Double.NaN : minReady;
            };
        }
    }

    synchronized Window window(int from, int to) {
        long ok = 0;
        long failed = 0;
        TreeMap<String, Long> failures = new TreeMap<>();
        double[] all = new double[0];
        int n = 0;
        int minReady = -1;
        double degradedSum = 0;
        int degradedN = 0;
        int lastReady = -1;
        for (int i = 0; i < Math.min(to, slots.size()); i++) {
            Slot s = slots.get(i);
            if (s.ready >= 0) {
                lastReady = s.ready;
            }
            if (i < from) {
                continue;
            }
            ok += s.ok;
            failed += s.failed();
            s.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
            if (n + s.n > all.length) {
                all = Arrays.copyOf(all, Math.max(n + s.n, all.length * 2));
            }
            System.arraycopy(s.latencies, 0, all, n, s.n);
            n += s.n;
            if (lastReady >= 0) {
                minReady = minReady < 0 ? lastReady : Math.min(minReady, lastReady);
            }
            if (!Double.isNaN(s.degraded)) {
                degradedSum += s.degraded;
                degradedN++;
            }
        }
        double[] sorted = Arrays.copyOf(all, n);
        Arrays.sort(sorted);
        return new Window(ok, failed, failures, rank(sorted, 0.99), rank(sorted, 0.95), rank(sorted, 0.50), minReady,
                degradedN == 0 ? Double.NaN : degradedSum / degradedN);
    }

    private static double rank(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** The load's target, recording every call into these observations. */
    Target recording(Target inner, long timeoutNanos) {
        return new Target() {
            @Override
            public Outcome call(Workload.Call call, long deadlineNanos) {
                Outcome o = inner.call(call, deadlineNanos);
                long done = System.nanoTime();
                request(done, (done - (deadlineNanos - timeoutNanos)) / 1e6, o);
                return o;
            }

            @Override
            public void dropped(long intendedNanos) {
                Observations.this.dropped(intendedNanos);
            }

            @Override
            public String describe() {
                return inner.describe();
            }

            // no facts, no counters; close() does nothing: the drill closes the inner target itself
        };
    }
}
