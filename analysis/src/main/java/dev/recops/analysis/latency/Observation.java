package dev.recops.analysis.latency;

/**
 * One measured load: a bench run, or one minute of an access log. Latencies in milliseconds;
 * {@code NaN} where the source does not say.
 *
 * @param query the configuration and the rate offered to one replica
 * @param errorRate failed / offered
 * @param throughput responses per second per replica
 * @param meanBatch texts per model call during the run
 * @param callMillis time of one model call during the run
 * @param cpuMillis the server's CPU time per response during the run (bench's {@code server_cpu_ms_per_request})
 * @param source file and line, for messages
 */
public record Observation(Query query, double p50, double p95, double p99, double errorRate, double throughput, double meanBatch,
                          double callMillis, double cpuMillis, String source) {

    /** At most this share of failures and the run counts as sustainable. */
    public static final double STABLE_ERROR_RATE = 0.01;

    public Config config() {
        return query.config();
    }

    /** The load was served: latencies describe the configuration, not its overload (timeouts, shedding). */
    public boolean stable() {
        return errorRate <= STABLE_ERROR_RATE;
    }

    /** Successful responses per second. */
    public double goodput() {
        return throughput * (1 - errorRate);
    }

    public boolean hasServiceTime() {
        return meanBatch > 0 && callMillis > 0;
    }

    double value(Target t) {
        return switch (t) {
            case P50 -> p50;
            case P95 -> p95;
            case P99 -> p99;
            case MAX_THROUGHPUT -> throw new IllegalArgumentException("max throughput belongs to a configuration, not a run");
        };
    }
}
