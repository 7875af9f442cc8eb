package dev.recops.engine.load;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Runs one load: a warm-up that is sent but not measured, then the measured window, reporting
 * an interval histogram every second (to the {@code .hlog} writer and the progress callback).
 *
 * <p>Open loop: one dispatcher thread starts each request at its intended time on a virtual
 * thread and never waits for responses; latency is measured from the intended time, so a
 * stalled server shows its whole stall. A request due while {@code maxInFlight} are unanswered
 * is dropped and counted. Closed loop: each client thread sends, waits, sends again; each
 * latency is recorded with HdrHistogram's expected-interval correction (the expected interval
 * being the mean latency so far), which adds the requests a stalled client did not send.
 *
 * <pre>{@code
 * RunResult r = new LoadRun(target, workload, spec, Optional.empty(), p -> {}).run();
 * }</pre>
 */
public final class LoadRun {
    /** Latencies are recorded in microseconds. */
    static final double MICROS_PER_MILLI = 1_000;
    private static final Logger LOG = Logger.getLogger(LoadRun.class.getName());
    /** Beyond the request timeout, how long the run waits for requests still in flight at its end. */
    private static final long STRAGGLER_MARGIN_NANOS = 5_000_000_000L;
    /** How long before a request is due the open-loop dispatcher stops sleeping. */
    static final long SPIN_NANOS = 1_500_000;
    /** And how long before it stops yielding its core to other threads. */
    static final long BUSY_NANOS = 50_000;

    /** Once a second during the run. */
    public record Progress(double elapsedSeconds, boolean warmup, double responsesPerSecond, double p99SoFar, long errorsSoFar) {}

    private final Target target;
    private final Workload workload;
    private final LoadSpec spec;
    private final Optional<HistogramLogWriter> hlog;
    private final Consumer<Progress> progress;

    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    /** Closed loop: the same responses, corrected for coordinated omission (an estimate beside the raw, never instead). */
    private final Recorder corrected = new Recorder(3);
    private final Histogram lag = new Histogram(3);
    private final LongAdder sent = new LongAdder();
    private final LongAdder responses = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder degraded = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private long failedBefore; // failures() at the last interval, under total's lock
    private long degradedBefore; // degraded at the last interval, under total's lock
    private final AtomicLong latencySumMicros = new AtomicLong();
    private final AtomicLong latencyCount = new AtomicLong();
    private final List<RunResult.Interval> intervals = new ArrayList<>();
    private long measureStartNanos;
    /** The target's counters when the measured window began (the reporter takes them after the warm-up). */
    private volatile Target.Counters atMeasureStart;
    private volatile Target.Connections connectionsAtStart = Target.Connections.NONE;
    /**
     * Set when the load is over: the reporter's signal to stop. An interrupt alone is not enough,
     * as code it calls (a target's counters, the progress line) may clear the flag.
     */
    private volatile boolean loadOver;
    private volatile long endNanos = Long.MAX_VALUE;
    private boolean cancelled; // read and written by the thread in run() only

    public LoadRun(Target target, Workload workload, LoadSpec spec, Optional<HistogramLogWriter> hlog, Consumer<Progress> progress) {
        this.target = target;
        this.workload = workload;
        this.spec = spec;
        this.hlog = hlog;
        this.progress = progress;
    }

    public RunResult run() {
        atMeasureStart = target.counters().orElse(Target.Counters.NONE);
        connectionsAtStart = target.connections();
        Instant started = Instant.now();
        long start = System.nanoTime() + 1_000_000;
        measureStartNanos = start + spec.warmup().toNanos();
        endNanos = Math.min(endNanos, measureStartNanos + spec.duration().toNanos()); // stop() may have come first
        Thread reporter = Thread.ofPlatform().daemon().name("recops-bench-report").start(() -> report(start));
        if (spec.mode() == LoadSpec.Mode.OPEN) {
            openLoop(start);
        } else {
            closedLoop();
        }
        loadOver = true;
        reporter.interrupt(); // wakes it from its wait for the next tick
        try {
            reporter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        takeInterval(System.nanoTime(), start); // what completed after the last tick
        if (cancelled) {
            Thread.currentThread().interrupt();
        }
        return result(started, atMeasureStart);
    }

    /**
     * Ends the load now rather than at the end of its duration: no request starts after this call,
     * those in flight finish and {@link #run} returns (a drill's load lasts as long as the drill).
     */
    public void stop() {
        long now = System.nanoTime();
        if (now < endNanos) {
            endNanos = now;
        }
    }

    /**
     * Whether a request about to be sent at {@code intendedNanos} (before the end, checked by the
     * caller) counts: decided once, at send time, so that a {@link #stop()} meanwhile never leaves
     * a request counted as sent and not as answered, or the other way round.
     */
    private boolean measured(long intendedNanos) {
        return intendedNanos >= measureStartNanos;
    }

    private void openLoop(long start) {
        Semaphore inFlight = new Semaphore(spec.maxInFlight());
        SplittableRandom random = new SplittableRandom(workload.spec().seed());
        Workload.Picker picker = workload.picker(0);
        double periodNanos = 1e9 / spec.rate();
        long timeoutNanos = spec.timeout().toNanos();
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            double offset = 0;
            while (true) {
                long intended = start + (long) offset;
                if (intended >= endNanos) {
                    break;
                }
                offset += spec.arrivals() == LoadSpec.Arrivals.CONSTANT ? periodNanos : -Math.log(1 - random.nextDouble()) * periodNanos;
                waitUntil(intended);
                if (Thread.interrupted()) {
                    cancel(); // the interrupted caller (Ctrl-C in recops shell) ends the load as stop() does
                }
                if (intended >= endNanos) {
                    break; // stopped while waiting: this request is not sent, so it is not counted either
                }
                boolean measured = measured(intended);
                if (measured) {
                    lag.recordValue(Math.max(0, (System.nanoTime() - intended) / 1_000));
                }
                if (!inFlight.tryAcquire()) {
                    if (measured) {
                        dropped.increment();
                        error("dropped");
                    }
                    target.dropped(intended);
                    continue;
                }
                Workload.Call call = picker.next();
                executor.execute(() -> {
                    try {
                        Target.Outcome o = target.call(call, intended + timeoutNanos);
                        record(measured, intended, System.nanoTime(), o, 0);
                    } finally {
                        inFlight.release();
                    }
                });
                if (measured) {
                    sent.increment();
                }
            }
        } finally {
            executor.shutdown();
            try {
                // Each request is bounded by its timeout; the margin only guards against a call that is not.
                if (!executor.awaitTermination(timeoutNanos + STRAGGLER_MARGIN_NANOS, TimeUnit.NANOSECONDS)) {
                    LOG.warning("requests still running " + Duration.ofNanos(timeoutNanos + STRAGGLER_MARGIN_NANOS)
                            + " after the last was sent; reporting without them");
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Sleeps until shortly before {@code deadline}, then yields the core in a loop: a virtual
     * machine's vCPU woken from idle by a timer takes about a millisecond, and the spin keeps it
     * awake for the last {@link #SPIN_NANOS} while still letting any runnable thread go first.
     */
    private static void waitUntil(long deadline) {
        for (long now = System.nanoTime(); now < deadline && !Thread.currentThread().isInterrupted(); now = System.nanoTime()) {
            long left = deadline - now;
            if (left > SPIN_NANOS) {
                LockSupport.parkNanos(left - SPIN_NANOS);
            } else if (left > BUSY_NANOS) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void closedLoop() {
        long timeoutNanos = spec.timeout().toNanos();
        List<Thread> clients = new ArrayList<>(spec.concurrency());
        for (int i = 0; i < spec.concurrency(); i++) {
            Workload.Picker picker = workload.picker(i);
            Runnable client = () -> {
                for (long begin = System.nanoTime(); begin < endNanos; begin = System.nanoTime()) {
                    boolean measured = measured(begin);
                    Target.Outcome o = target.call(picker.next(), begin + timeoutNanos);
                    long done = System.nanoTime();
                    long count = latencyCount.incrementAndGet();
                    long expected = latencySumMicros.addAndGet((done - begin) / 1_000) / count;
                    if (measured) {
                        sent.increment();
                    }
                    record(measured, begin, done, o, expected);
                }
            };
            // Platform threads for a few clients (fewer hand-offs per request), virtual for many.
            clients.add(spec.concurrency() <= 64 ? Thread.ofPlatform().daemon().start(client) : Thread.ofVirtual().start(client));
        }
        long until = endNanos + timeoutNanos + STRAGGLER_MARGIN_NANOS;
        for (Thread t : clients) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(1, until - System.nanoTime())))) {
                    StringBuilder where = new StringBuilder();
                    for (StackTraceElement e : t.getStackTrace()) {
                        where.append("\n\tat ").append(e);
                    }
                    LOG.warning("a client is still in a request past its timeout; reporting without it" + where);
                }
            } catch (InterruptedException e) {
                cancel(); // the clients end before their next request; wait for those in one as at the end of the duration
                closedLoopJoin(clients, System.nanoTime() + timeoutNanos + STRAGGLER_MARGIN_NANOS);
                return;
            }
        }
    }

    private static void closedLoopJoin(List<Thread> clients, long until) {
        for (Thread t : clients) {
            try {
                t.join(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
            } catch (InterruptedException e) {
                return; // interrupted twice: report without the clients still in a request
            }
        }
    }

    /** Interrupted: ends the load now as {@link #stop()} does, and leaves the caller's thread interrupted when {@link #run} returns. */
    private void cancel() {
        stop();
        cancelled = true;
    }

    private void record(boolean measured, long intendedNanos, long doneNanos, Target.Outcome o, long expectedIntervalMicros) {
        if (!measured) {
            return;
        }
        boolean answered = o.status() > 0;
        if (answered || o.failure().equals("timeout")) { // a timeout took at least this long: keep it in the tail
            long micros = Math.max(1, (doneNanos - intendedNanos) / 1_000);
            recorder.recordValue(micros);
            if (answered && expectedIntervalMicros > 0) {
                corrected.recordValueWithExpectedInterval(micros, expectedIntervalMicros);
            } else if (expectedIntervalMicros > 0) {
                corrected.recordValue(micros);
            }
        }
        if (answered) {
            responses.increment();
        }
        if (o.ok()) {
            ok.increment();
        } else if (o.answered()) {
            degraded.increment(); // answered, by the fallback: neither good nor an error
        } else {
            error(o.errorKind());
        }
    }

    private void error(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    private void report(long start) {
        long tick = start + TimeUnit.SECONDS.toNanos(1);
        boolean counted = spec.warmup().isZero();
        while (!loadOver) {
            for (long now = System.nanoTime(); now < tick; now = System.nanoTime()) {
                LockSupport.parkNanos(tick - now);
                if (loadOver) {
                    return;
                }
            }
            if (!counted && tick >= measureStartNanos) {
                atMeasureStart = target.counters().orElse(atMeasureStart);
                connectionsAtStart = target.connections();
                counted = true;
            }
            Histogram h = takeInterval(tick, start);
            long errs = errors.values().stream().mapToLong(LongAdder::sum).sum();
            synchronized (total) {
                progress.accept(new Progress((tick - start) / 1e9, tick <= measureStartNanos, h.getTotalCount(),
                        total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(99) / MICROS_PER_MILLI, errs));
            }
            tick += TimeUnit.SECONDS.toNanos(1);
        }
    }

    /** Errors so far, drops among them. */
    private long failures() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Moves what was recorded since the last call into the total, the intervals and the log. */
    private Histogram takeInterval(long nowNanos, long start) {
        synchronized (total) {
            Histogram h = recorder.getIntervalHistogram();
            if (nowNanos <= measureStartNanos) {
                failedBefore = failures(); // what failed in the warm-up is not the first second's
                degradedBefore = degraded.sum();
            }
            if (h.getTotalCount() > 0 || nowNanos > measureStartNanos) {
                total.add(h);
                double at = Math.max(0, (nowNanos - measureStartNanos) / 1e9);
                if (nowNanos > measureStartNanos) {
                    long failed = failures();
                    long fallback = degraded.sum();
                    intervals.add(new RunResult.Interval(Math.floor(at * 1000) / 1000, h.getTotalCount(), failed - failedBefore,
                            h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50) / MICROS_PER_MILLI,
                            h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / MICROS_PER_MILLI, fallback - degradedBefore));
                    failedBefore = failed;
                    degradedBefore = fallback;
                    hlog.ifPresent(w -> {
                        h.setStartTimeStamp(System.currentTimeMillis() - 1_000);
                        h.setEndTimeStamp(System.currentTimeMillis());
                        w.outputIntervalHistogram(h);
                    });
                }
            }
            return h;
        }
    }

    private RunResult result(Instant started, Target.Counters before) {
        // The window actually measured: shorter than planned when the load was stopped early.
        double seconds = Math.max(1e-9, Math.min(endNanos - measureStartNanos, spec.duration().toNanos()) / 1e9);
        long s = sent.sum();
        long d = dropped.sum();
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
        long failed = errorCounts.values().stream().mapToLong(Long::longValue).sum();
        // A target without counters before the run had counted nothing yet (no series).
        Target.Counters after = target.counters().orElse(before);
        OptionalDouble tokens = after.tokenCount() > before.tokenCount()
                ? OptionalDouble.of((after.tokenSum() - before.tokenSum()) / (after.tokenCount() - before.tokenCount()))
                : OptionalDouble.empty();
        double calls = after.calls() - before.calls();
        Optional<RunResult.Batches> batches = calls > 0
                ? Optional.of(new RunResult.Batches(Math.round(calls), (after.texts() - before.texts()) / calls,
                        (after.inferenceSeconds() - before.inferenceSeconds()) * 1e3 / calls))
                : Optional.empty();
        String mix = workload.spec().mix().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey().label + "=" + e.getValue()).reduce((a, b) -> a + "," + b).orElse("");
        return new RunResult(target.describe(), workload.spec().order(), mix, spec, started, seconds, s, responses.sum(), ok.sum(), degraded.sum(), d,
                new TreeMap<>(errorCounts), s + d == 0 ? 0 : failed / (double) (s + d), (s + d) / seconds,
                responses.sum() / seconds, RunResult.Latency.of(total, MICROS_PER_MILLI),
                spec.mode() == LoadSpec.Mode.OPEN ? Optional.of(RunResult.Latency.of(lag, MICROS_PER_MILLI)) : Optional.empty(),
                spec.mode() == LoadSpec.Mode.CLOSED ? Optional.of(RunResult.Latency.of(corrected.getIntervalHistogram(), MICROS_PER_MILLI))
                        : Optional.empty(),
                intervals, RunResult.distribution(total, MICROS_PER_MILLI), target.facts(), tokens, batches, target.connections().minus(connectionsAtStart),
                after.cacheLookups() > before.cacheLookups()
                        ? OptionalDouble.of((after.cacheHits() - before.cacheHits()) / (after.cacheLookups() - before.cacheLookups()))
                        : OptionalDouble.empty(),
                Double.isFinite(after.cpuSeconds() - before.cpuSeconds()) && responses.sum() > 0
                        ? OptionalDouble.of((after.cpuSeconds() - before.cpuSeconds()) * 1e3 / responses.sum()) : OptionalDouble.empty());
    }
}
