package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import dev.recops.batching.BatchPolicy;
import dev.recops.batching.BatchSimulation;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What recops' batcher would do with a configuration, a load and the model's call-time profile,
 * without a server: {@link BatchSimulation} (the batcher's own policy code) in virtual time,
 * under constant or Poisson arrivals at a rate, or replaying an access log's arrivals and query
 * lengths. It reports the batcher alone (queue and model): the server's HTTP, tokenizing and
 * retrieval come on top, which a model trained with {@code train --profile} calibrates for.
 */
public final class WhatIf {
    /** Arrivals at a steady gap, or a Poisson process. */
    public enum Process { CONSTANT, POISSON }

    /**
     * @param batchMax texts per batch at most
     * @param batchDelay longest wait for a batch to fill
     * @param workers concurrent model calls
     * @param threads ONNX Runtime threads per call
     * @param queueCapacity requests waiting at most
     * @param timeout each request's deadline
     * @param batchMaxTokens padded tokens per model call at most, 0 for no budget
     */
    public record Settings(int batchMax, Duration batchDelay, int workers, int threads, int queueCapacity, Duration timeout, int batchMaxTokens) {
        /** With serve's default token budget. */
        public Settings(int batchMax, Duration batchDelay, int workers, int threads, int queueCapacity, Duration timeout) {
            this(batchMax, batchDelay, workers, threads, queueCapacity, timeout, BatchPolicy.DEFAULT_MAX_TOKENS);
        }

        BatchPolicy batcher() {
            return new BatchPolicy(batchMax, batchDelay, queueCapacity, workers, batchMaxTokens);
        }
    }

    /**
     * @param requests arrivals simulated
     * @param seconds their span
     * @param meanTokens their mean query length
     * @param p50 latency in the batcher (arrival to answer), ms, over the answered requests
     * @param utilisation the workers' busy share
     * @param shedQueueFull refused at once, the queue full (503)
     * @param shedDeadline refused at once, the deadline out of reach (503)
     * @param expired waited past their deadline (504)
     * @param meanBatch requests per batch a worker took
     * @param meanCall texts per model call
     * @param maxThroughput the highest Poisson rate of these query lengths served with at most 1%
     *                      refused or expired, per second
     */
    public record Report(long requests, double seconds, double meanTokens, double p50, double p95, double p99, double utilisation,
                         long shedQueueFull, long shedDeadline, long expired, double meanBatch, double meanCall, double maxThroughput) {
        public double rate() {
            return requests / seconds;
        }

        /** Refused and expired requests over all. */
        public double shedShare() {
            return requests == 0 ? 0 : (shedQueueFull + shedDeadline + expired) / (double) requests;
        }
    }

    /**
     * The work a server does around the batcher, on the same CPUs as the model's calls: HTTP, JSON,
     * tokenizing, retrieval, GC, timers. Its CPU is simulated as a share of the CPUs taken from the
     * calls (each call lasts {@code 1/(1-u)} times its profiled time, {@code u = (rate·cpuMillis +
     * backgroundMillis)/1000/cores}, as under the kernel's fair sharing), so the simulated capacity
     * meets the server's CPU budget and the knee comes where the whole server's, not the
     * batcher's, would. Apart from that CPU, each request spends time outside the batcher (its
     * HTTP exchange, the hand-offs between threads), {@code latencyMillis} on average, stretched by
     * the share of the CPUs the calls take ({@link Served}).
     *
     * <p>The two are not the same: on the default model the server's CPU beside the calls was 45-80
     * ms a second at every rate from 50/s to 330/s (a background, not a cost per request), while each
     * request spent 1.3-1.9 ms more than its call at low load (docs/performance.md).
     *
     * @param cpuMillis CPU time per request outside the model's calls
     * @param backgroundMillis CPU time per second outside the model's calls whatever the rate
     * @param latencyMillis mean time per request outside the batcher
     * @param cores the CPUs the server runs on
     */
    public record Outside(double cpuMillis, double backgroundMillis, double latencyMillis, int cores) implements Serializable {
        public static final Outside NONE = new Outside(0, 1);
        /** A CPU share this close to full is a queue that only grows; the simulation stops stretching there. */
        static final double MAX_SHARE = 0.98;

        public Outside {
            if (!(cpuMillis >= 0) || !(backgroundMillis >= 0) || !(latencyMillis >= 0) || cores < 1) {
                throw new IllegalArgumentException("outside work needs cpuMillis, backgroundMillis, latencyMillis >= 0 and cores >= 1");
            }
        }

        /** Work that is all CPU, per request: each request spends its CPU time outside the batcher. */
        public Outside(double cpuMillis, int cores) {
            this(cpuMillis, 0, cpuMillis, cores);
        }

        double share(double rate) {
            return Math.min(MAX_SHARE, (rate * cpuMillis + backgroundMillis) / 1000 / cores);
        }
    }

    /**
     * The whole server simulated: the batcher's outcomes, and the time each answered request spends
     * outside it, and the share of the CPUs the model's calls took. That time is drawn per request, exponentially distributed about its mean: the
     * measurements give the mean and nothing of the spread, and of the distributions with that
     * mean the exponential assumes the least. A constant put every request's tail inside the
     * batcher, and the simulated p99 was 0.6-0.8x the measured one at low load (docs/performance.md).
     */
    record Served(BatchSimulation.Result batcher, double modelShare, double[] sortedMillis) {
        /** The latency (ms) at {@code percentile} over the answered requests; NaN when none was. */
        double latencyMillis(double percentile) {
            return BatchSimulation.atPercentile(sortedMillis, percentile);
        }
    }

    private WhatIf() {}

    /**
     * Wait growing faster than this, ms per second, is a queue that only grows: the rule {@code bench
     * --find-max-rate} judges its probes by (arrivals outpacing service by 2.5%), which a queue not
     * yet full after a short probe would otherwise pass.
     */
    static final double GROWING = 25;

    /** The shortest query: one word between the tokenizer's two markers. */
    static final int FEWEST_TOKENS = 3;

    /**
     * {@code seconds} of arrivals at {@code rate}, with {@code timeout}, their lengths spread about
     * {@code meanTokens} as queries' are: {@value #FEWEST_TOKENS} tokens and a Poisson number more
     * (every one {@code meanTokens} long when that is fewer). A batch is padded to its longest
     * text, so the spread is what a batch costs: at 8 texts of the WANDS queries (mean 6.2 tokens,
     * 1-12 words) a call took what the profile gives 8 texts of 12 tokens, not of 6.
     */
    public static List<BatchSimulation.Arrival> generate(Process process, double rate, double seconds, double meanTokens, Duration timeout, long seed) {
        if (!(rate > 0) || !(seconds > 0)) {
            throw AnalysisException.invalid("the rate and the duration must be positive");
        }
        int n = (int) Math.min(5_000_000, Math.max(1, Math.round(rate * seconds)));
        Random random = new Random(seed);
        Random lengths = new Random(~seed); // its own: the arrival times are the same whatever the lengths
        List<BatchSimulation.Arrival> arrivals = new ArrayList<>(n);
        double t = 0;
        double extra = meanTokens - FEWEST_TOKENS;
        for (int i = 0; i < n; i++) {
            t += process == Process.POISSON ? -Math.log(1 - random.nextDouble()) / rate : 1 / rate;
            int tokens = extra > 0 ? FEWEST_TOKENS + poisson(extra, lengths) : (int) Math.max(1, Math.round(meanTokens));
            arrivals.add(new BatchSimulation.Arrival(Math.round(t * 1e9), tokens, timeout.toNanos()));
        }
        return arrivals;
    }

    /** A Poisson count of mean {@code lambda} (Knuth's product of uniforms: lambda is a few tokens here). */
    private static int poisson(double lambda, Random random) {
        double limit = Math.exp(-lambda);
        double product = random.nextDouble();
        int k = 0;
        while (product > limit) {
            product *= random.nextDouble();
            k++;
        }
        return k;
    }

    /**
     * The arrivals of an access log's requests that ran the encoder (those with a query length),
     * from its first; with {@code rate} given, time compressed or stretched to that mean rate.
     */
    public static List<BatchSimulation.Arrival> replay(Table accessLog, Double rate, Duration timeout) {
        LongColumn ts = accessLog.longColumn("ts_ms");
        IntColumn tokens = accessLog.intColumn("query_tokens");
        List<long[]> rows = new ArrayList<>();
        for (int i = 0; i < accessLog.rowCount(); i++) {
            if (!tokens.isMissing(i) && tokens.getInt(i) > 0) {
                rows.add(new long[] {ts.getLong(i), tokens.getInt(i)});
            }
        }
        if (rows.size() < 2) {
            throw AnalysisException.invalid("the access log has fewer than two requests with a query length (query_tokens) to replay");
        }
        rows.sort((a, b) -> Long.compare(a[0], b[0]));
        long first = rows.getFirst()[0];
        double spanMs = rows.getLast()[0] - first;
        double scale = 1;
        if (rate != null) {
            if (!(rate > 0)) {
                throw AnalysisException.invalid("--rate must be positive");
            }
            if (spanMs <= 0) {
                throw AnalysisException.invalid("the access log's requests all arrived in one millisecond: no rate to scale");
            }
            scale = ((rows.size() - 1) / (spanMs / 1000)) / rate; // recorded rate over the wanted one
        }
        List<BatchSimulation.Arrival> arrivals = new ArrayList<>(rows.size());
        for (long[] r : rows) {
            arrivals.add(new BatchSimulation.Arrival(Math.round((r[0] - first) * 1e6 * scale), (int) r[1], timeout.toNanos()));
        }
        return arrivals;
    }

    /** Runs the arrivals through the batcher with {@code settings}, each call as long as {@code profile} says. */
    public static Report run(CallTimeModel profile, Settings settings, List<BatchSimulation.Arrival> arrivals) {
        if (arrivals.isEmpty()) {
            throw AnalysisException.invalid("nothing to simulate: no arrivals");
        }
        BatchSimulation.Result r = simulate(profile, settings, arrivals);
        double meanTokens = arrivals.stream().mapToInt(BatchSimulation.Arrival::tokens).average().orElse(1);
        // n arrivals span n-1 gaps; a second's worth of one gap keeps a short replay's rate honest
        double seconds = Math.max(1e-3, spanSeconds(arrivals) * arrivals.size() / Math.max(1, arrivals.size() - 1));
        double capacity = maxThroughput(profile, settings, meanTokens);
        return new Report(arrivals.size(), seconds, meanTokens, r.latencyMillis(50), r.latencyMillis(95), r.latencyMillis(99),
                r.busyShare(), r.count(BatchSimulation.Fate.SHED_QUEUE_FULL), r.count(BatchSimulation.Fate.SHED_DEADLINE),
                r.count(BatchSimulation.Fate.EXPIRED), mean(r.batches()), mean(r.calls()), capacity);
    }

    static BatchSimulation.Result simulate(CallTimeModel profile, Settings s, List<BatchSimulation.Arrival> arrivals) {
        return serve(profile, s, arrivals, Outside.NONE).batcher();
    }

    /** The batcher and the work around it on the server's CPUs ({@link Outside}), at the arrivals' mean rate. */
    static Served serve(CallTimeModel profile, Settings s, List<BatchSimulation.Arrival> arrivals, Outside outside) {
        double stretch = 1 / (1 - outside.share(rate(arrivals)));
        BatchSimulation.Result r = BatchSimulation.run(s.batcher(), arrivals,
                (texts, padded, running) -> Math.round(profile.millis(texts, Math.max(1, padded / texts), s.threads(), s.workers(), running) * stretch * 1e6));
        double modelShare = Math.min(1, r.busyShare() * s.workers() * Math.min(s.threads(), outside.cores()) / (double) outside.cores());
        double around = outside.latencyMillis() * (1 + modelShare);
        Random random = new Random(Folds.SEED);
        return new Served(r, modelShare, r.outcomes().stream().filter(o -> o.fate() == BatchSimulation.Fate.ANSWERED)
                .mapToDouble(o -> o.latencyNanos() / 1e6 - (around > 0 ? around * Math.log(1 - random.nextDouble()) : 0)).sorted().toArray());
    }

    /** Arrivals per second over their span (n arrivals span n-1 gaps). */
    private static double rate(List<BatchSimulation.Arrival> arrivals) {
        double span = spanSeconds(arrivals);
        return arrivals.size() < 2 || span <= 0 ? 0 : (arrivals.size() - 1) / span;
    }

    /** From the first arrival to the last, seconds. */
    private static double spanSeconds(List<BatchSimulation.Arrival> arrivals) {
        long first = arrivals.stream().mapToLong(BatchSimulation.Arrival::atNanos).min().orElse(0);
        long last = arrivals.stream().mapToLong(BatchSimulation.Arrival::atNanos).max().orElse(0);
        return (last - first) / 1e9;
    }

    /**
     * The highest Poisson rate of queries of {@code tokens} tokens on average that the batcher with {@code s}
     * answers with at most 1% refused or expired over {@value Simulated#CAPACITY_SECONDS} s (at
     * least 1,000 arrivals) and a steady queue ({@link #waitGrowth} at most {@value #GROWING} ms/s), by bisection on the log of the rate below twice the rate of every
     * worker running full batches back to back.
     */
    static double maxThroughput(CallTimeModel profile, Settings s, double tokens) {
        return maxThroughput(profile, s, tokens, Outside.NONE);
    }

    /** As {@link #maxThroughput(CallTimeModel, Settings, double)}, with the work around the batcher on the same CPUs. */
    static double maxThroughput(CallTimeModel profile, Settings s, double tokens, Outside outside) {
        double hi = 2 * 1000.0 * s.workers() * s.batchMax() / profile.millis(s.batchMax(), (int) Math.max(1, Math.round(tokens)), s.threads(), s.workers());
        double lo = hi / 1000;
        for (int i = 0; i < 14; i++) {
            double mid = Math.sqrt(lo * hi);
            BatchSimulation.Result r = serve(profile, s,
                    generate(Process.POISSON, mid, Math.max(Simulated.CAPACITY_SECONDS, 1_000 / mid), tokens, s.timeout(), Folds.SEED), outside).batcher();
            double failed = r.outcomes().size() - r.count(BatchSimulation.Fate.ANSWERED);
            if (failed <= 0.01 * r.outcomes().size() && waitGrowth(r) <= GROWING) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * How fast the latency grew through a simulation, ms per second: the mean latency of the last
     * quarter of the answered requests less that of the first, over the time between them.
     */
    static double waitGrowth(BatchSimulation.Result r) {
        List<BatchSimulation.Outcome> answered = r.outcomes().stream().filter(o -> o.fate() == BatchSimulation.Fate.ANSWERED).toList();
        int quarter = answered.size() / 4;
        if (quarter < 10) {
            return 0;
        }
        List<BatchSimulation.Outcome> first = answered.subList(0, quarter);
        List<BatchSimulation.Outcome> last = answered.subList(answered.size() - quarter, answered.size());
        double seconds = (meanArrival(last) - meanArrival(first)) / 1e9;
        return seconds <= 0 ? 0 : (meanLatency(last) - meanLatency(first)) / 1e6 / seconds;
    }

    private static double meanArrival(List<BatchSimulation.Outcome> outcomes) {
        return outcomes.stream().mapToLong(o -> o.arrival().atNanos()).average().orElse(0);
    }

    private static double meanLatency(List<BatchSimulation.Outcome> outcomes) {
        return outcomes.stream().mapToLong(BatchSimulation.Outcome::latencyNanos).average().orElse(0);
    }

    private static double mean(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).average().orElse(0);
    }
}
