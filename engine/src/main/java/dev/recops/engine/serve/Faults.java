package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Faults injected into a version's inference for drills: added latency, an error rate, or a
 * stall, each for a bounded time and cleared by itself at expiry. Applied on the inference
 * worker, where a slow or failing model would be: queues, deadlines, shedding and metrics react
 * as they would to the real thing. Thread-safe.
 */
public final class Faults {
    /** The longest a fault may be set for. */
    public static final Duration MAX_DURATION = Duration.ofHours(1);

    /**
     * @param latency added to every model call of the version
     * @param errorRate the share of model calls that fail, 0..1
     * @param stall every model call waits until the fault expires
     */
    public record Fault(String version, Duration latency, double errorRate, boolean stall, Instant expires) {
        public Fault {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(latency, "latency");
            Objects.requireNonNull(expires, "expires");
            if (latency.isNegative() || latency.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new RecopsException.InvalidInput("bad_fault", "latency must be in 0..60000 ms");
            }
            if (!(errorRate >= 0 && errorRate <= 1)) {
                throw new RecopsException.InvalidInput("bad_fault", "error_rate must be in 0..1");
            }
            if (latency.isZero() && errorRate == 0 && !stall) {
                throw new RecopsException.InvalidInput("bad_fault", "a fault needs latency_ms, error_rate or stall");
            }
        }

        /** The kinds this fault injects: {@code latency}, {@code error}, {@code stall}. */
        public List<String> kinds() {
            List<String> kinds = new ArrayList<>(3);
            if (!latency.isZero()) {
                kinds.add("latency");
            }
            if (errorRate > 0) {
                kinds.add("error");
            }
            if (stall) {
                kinds.add("stall");
            }
            return kinds;
        }
    }

    private final Map<String, Fault> active = new ConcurrentHashMap<>();

    public void inject(Fault fault) {
        active.put(fault.version(), fault);
        wakeWaiters();
    }

    /** Clears the fault of one version, or every fault for an empty version; returns how many were cleared. */
    public int clear(String version) {
        int before = active.size();
        if (version.isEmpty()) {
            active.clear();
        } else {
            active.remove(version);
        }
        wakeWaiters();
        return before - active.size();
    }

    /** The faults in force now (expired ones are dropped). */
    public List<Fault> active() {
        Instant now = Instant.now();
        active.values().removeIf(f -> !f.expires().isAfter(now));
        return active.values().stream().sorted(Comparator.comparing(Fault::version)).toList();
    }

    private synchronized void wakeWaiters() {
        notifyAll();
    }

    /** Waits until the deadline, or less if the fault is cleared or replaced meanwhile (a drill's clear_faults ends a stall at once). */
    private synchronized void awaitWhileInForce(String version, Fault f, long deadlineNanos) {
        for (long left = deadlineNanos - System.nanoTime(); left > 0 && active.get(version) == f; left = deadlineNanos - System.nanoTime()) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Runs one model call of {@code version} under its fault, if one is in force. */
    float[][] around(String version, Supplier<float[][]> call) {
        Fault f = active.get(version);
        if (f == null) {
            return call.get();
        }
        Instant now = Instant.now();
        if (!f.expires().isAfter(now)) {
            active.remove(version, f);
            return call.get();
        }
        Duration wait = f.stall() ? Duration.between(now, f.expires()) : f.latency();
        awaitWhileInForce(version, f, System.nanoTime() + wait.toNanos());
        if (f.errorRate() > 0 && ThreadLocalRandom.current().nextDouble() < f.errorRate()) {
            throw new RecopsException.Failure("injected_fault", version + ": injected fault (drill)", null);
        }
        return call.get();
    }
}
