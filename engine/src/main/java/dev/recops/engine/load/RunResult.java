package dev.recops.engine.load;

import org.HdrHistogram.Histogram;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one load run measured. Latencies in milliseconds, from HdrHistogram; counts cover the
 * measured window only (warm-up excluded).
 *
 * @param sent requests started (open loop: dispatched; dropped ones are not sent)
 * @param responses requests answered with any status
 * @param ok requests answered 2xx by the model
 * @param degraded requests answered 2xx by the server's fallback (BM25), not its model: neither
 *     ok nor an error; the server says so in the {@code X-Recops-Degraded} header
 * @param dropped open loop: requests not sent because {@code maxInFlight} were unanswered
 * @param errors failed requests by kind ({@code status_503}, {@code timeout}, {@code connect},
 *     {@code io}, {@code dropped})
 * @param errorRate failed / (sent + dropped)
 * @param achievedRate (sent + dropped) per second: the rate the schedule was kept at
 * @param throughput responses per second
 * @param latency of the responses received (and timeouts, at least as long as they waited): from
 *     the intended start in open loop, from the send in closed loop, as wrk and hey report it
 * @param lag open loop: how late the dispatcher started requests; empty for closed loop
 * @param corrected closed loop: the same responses corrected for coordinated omission, with the
 *     running mean latency as the expected interval (synthetic samples fill the requests a client
 *     did not send while it waited): an estimate, never what the clients saw; empty in open loop
 * @param intervals one entry per second of the measured window
 * @param distribution latency (ms) at percentiles from p0 to p99.99, ten to a decade of 1/(1-p): the
 *     HdrHistogram percentile distribution, for a plot on a log scale
 * @param meanQueryTokens tokens per search query as the target counted them, when it can tell
 * @param batches the model calls the server made during the measured window, when it can tell
 * @param cacheHitRatio the share of query cache lookups that hit in the measured window, when the target has a cache
 * @param serverCpuMillisPerRequest the server process's CPU time in the measured window over the responses, when the server
 *     says ({@code process_cpu_seconds_total}; not in-process, where the load shares the process): the model's calls and
 *     everything around them (HTTP, JSON, tokenizing, retrieval, GC)
 */
public record RunResult(String target, Workload.Order order, String mix, LoadSpec spec, Instant started, double measuredSeconds,
                        long sent, long responses, long ok, long degraded, long dropped, SortedMap<String, Long> errors, double errorRate,
                        double achievedRate, double throughput, Latency latency, Optional<Latency> lag, Optional<Latency> corrected,
                        List<Interval> intervals, List<Percentile> distribution, Optional<Target.Facts> facts, OptionalDouble meanQueryTokens,
                        Optional<Batches> batches, Target.Connections connections, OptionalDouble cacheHitRatio,
                        OptionalDouble serverCpuMillisPerRequest) {

    public RunResult {
        errors = Collections.unmodifiableSortedMap(new TreeMap<>(errors));
        intervals = List.copyOf(intervals);
        distribution = List.copyOf(distribution);
    }

    /** Percentiles and extremes in milliseconds. */
    public record Latency(long count, double p50, double p90, double p95, double p99, double p999, double max, double mean) {
        static Latency of(Histogram h, double unitsPerMilli) {
            if (h.getTotalCount() == 0) {
                return new Latency(0, 0, 0, 0, 0, 0, 0, 0);
            }
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50) / unitsPerMilli, h.getValueAtPercentile(90) / unitsPerMilli,
                    h.getValueAtPercentile(95) / unitsPerMilli, h.getValueAtPercentile(99) / unitsPerMilli, h.getValueAtPercentile(99.9) / unitsPerMilli,
                    h.getMaxValue() / unitsPerMilli, h.getMean() / unitsPerMilli);
        }
    }

    /**
     * The server's model calls in the measured window: the service times a latency model learns from.
     *
     * @param meanBatch texts per call
     * @param meanCallMillis time of one call (one batch through the model)
     */
    public record Batches(long calls, double meanBatch, double meanCallMillis) {}

    /**
     * One second of the measured window: responses, failures and drops ({@code errors}), answers
     * from the server's fallback among the responses ({@code degraded}), latency percentiles (ms).
     */
    public record Interval(double startSeconds, long responses, long errors, double p50, double p99, long degraded) {
        public Interval(double startSeconds, long responses, long errors, double p50, double p99) {
            this(startSeconds, responses, errors, p50, p99, 0);
        }
    }

    /** Answers from the fallback, as a share of the requests scheduled (sent + dropped), as errorRate is of failures. */
    public double degradedShare() {
        return sent + dropped == 0 ? 0 : degraded / (double) (sent + dropped);
    }

    /**
     * How fast the wait grew through the measured window, ms per second: the Theil-Sen slope (the
     * median of the slopes between every two seconds, so that one stall does not tilt it) of each
     * second's median latency; NaN with fewer than three seconds that had answers. A steady queue
     * keeps it near 0; arrivals outpacing service by a share {@code e} raise it to about
     * {@code 1000·e}, however short the run and however far from full the queue still is.
     */
    public double waitGrowth() {
        List<Interval> answered = intervals.stream().filter(i -> i.responses() > 0).toList();
        if (answered.size() < 3) {
            return Double.NaN;
        }
        double[] slopes = new double[answered.size() * (answered.size() - 1) / 2];
        int n = 0;
        for (int i = 0; i < answered.size(); i++) {
            for (int j = i + 1; j < answered.size(); j++) {
                Interval a = answered.get(i);
                Interval b = answered.get(j);
                double dt = b.startSeconds() - a.startSeconds();
                slopes[n++] = dt > 0 ? (b.p50() - a.p50()) / dt : 0;
            }
        }
        Arrays.sort(slopes, 0, n);
        return n % 2 == 1 ? slopes[n / 2] : (slopes[n / 2 - 1] + slopes[n / 2]) / 2;
    }

    /** The latency (ms) at one percentile. */
    public record Percentile(double percentile, double millis) {}

    /** p0 .. p99.99, ten points to each decade of 1/(1-p) (p90, p99, p99.9 among them), from a histogram. */
    static List<Percentile> distribution(Histogram h, double unitsPerMilli) {
        if (h.getTotalCount() == 0) {
            return List.of();
        }
        List<Percentile> out = new ArrayList<>();
        for (int k = 0; k <= 40; k++) {
            double p = 100 * (1 - Math.pow(10, -k / 10.0));
            out.add(new Percentile(Math.round(p * 1e4) / 1e4, h.getValueAtPercentile(p) / unitsPerMilli));
        }
        return out;
    }
}
