package dev.recops.engine.serve;

import dev.recops.engine.telemetry.ServerMetrics;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Automatic canary analysis: every {@code window}, the canary's error rate (errors and degraded
 * answers) and p99 latency are compared with the primary's over that window; when the canary is
 * worse by more than the thresholds it is rolled back (taken out of the traffic policy). Each
 * decision ({@code rollback}, {@code pass}, {@code insufficient} data) is logged and counted in
 * {@code recops_canary_decisions_total}. Opt-in: serve's {@code --canary-analysis}.
 *
 * @param maxErrorRateIncrease the canary may have at most this much more error rate, for example 0.01
 * @param maxP99Ratio the canary's p99 may be at most this multiple of the primary's
 * @param minRequests both versions need this many requests in the window for a verdict
 */
public record CanaryAnalysis(Duration window, double maxErrorRateIncrease, double maxP99Ratio, int minRequests) {
    private static final Logger LOG = Logger.getLogger(CanaryAnalysis.class.getName());

    /**
     * One window's decision on a canary, with what it was decided on.
     *
     * @param decision {@code rollback}, {@code pass} or {@code insufficient}
     */
    public record Verdict(String canary, String primary, String decision, Instant at, Sample canaryWindow, Sample primaryWindow) {}

    /** What one version did in the current window. Thread-safe. */
    static final class Window {
        final Recorder latencyMicros = new Recorder(3);
        final LongAdder requests = new LongAdder();
        final LongAdder errors = new LongAdder();

        /**
         * Every request counts towards the error rate; its latency only when the model answered it
         * (not a cache hit, a lexical search, or the fallback). Each version has its own cache, so
         * a cold canary compared over all answers would be judged against a primary whose hits
         * take microseconds: the p99 compares the model's latency with the model's.
         */
        void record(long nanos, boolean error, boolean byTheModel) {
            requests.increment();
            if (error) {
                errors.increment();
            }
            if (byTheModel) {
                latencyMicros.recordValue(Math.max(1, nanos / 1_000));
            }
        }
    }

    /** Requests, errors (the fallback's answers among them), and the p99 latency of the model's answers, of one version over one window. */
    public record Sample(long requests, long errors, double p99Millis) {
        public double errorRate() {
            return requests == 0 ? 0 : errors / (double) requests;
        }

        static Sample take(Window w) {
            Histogram h = w.latencyMicros.getIntervalHistogram();
            return new Sample(w.requests.sumThenReset(), w.errors.sumThenReset(), h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1e3);
        }
    }

    /** Starts the analysis on a daemon thread; it stops when the thread is interrupted. */
    Thread start(Map<String, Window> windows, Supplier<String> primary, Supplier<TrafficPolicy> policy, Consumer<String> rollback,
            ServerMetrics metrics, Consumer<Verdict> verdicts) {
        return Thread.ofPlatform().daemon().name("recops-canary-analysis").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(window);
                } catch (InterruptedException e) {
                    return;
                }
                String canary = policy.get().canaryVersion();
                String primaryVersion = primary.get();
                Sample p = Sample.take(windows.computeIfAbsent(primaryVersion, v -> new Window()));
                if (canary.isEmpty()) {
                    continue;
                }
                Sample c = Sample.take(windows.computeIfAbsent(canary, v -> new Window()));
                String decision = decide(p, c);
                metrics.canaryDecision(canary, decision);
                verdicts.accept(new Verdict(canary, primaryVersion, decision, Instant.now(), c, p));
                if (decision.equals("rollback")) {
                    LOG.warning(String.format(Locale.ROOT,
                            "canary %s rolled back: error rate %.4f vs primary %.4f, p99 %.1f ms vs %.1f ms over %s",
                            canary, c.errorRate(), p.errorRate(), c.p99Millis(), p.p99Millis(), window));
                    rollback.accept(canary);
                } else {
                    LOG.info("canary " + canary + ": " + decision);
                }
            }
        });
    }

    String decide(Sample primary, Sample canary) {
        if (primary.requests() < minRequests || canary.requests() < minRequests) {
            return "insufficient";
        }
        boolean errorsWorse = canary.errorRate() - primary.errorRate() > maxErrorRateIncrease;
        boolean slower = primary.p99Millis() > 0 && canary.p99Millis() > maxP99Ratio * primary.p99Millis();
        return errorsWorse || slower ? "rollback" : "pass";
    }
}
