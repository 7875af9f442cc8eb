package dev.recops.analysis.latency;

import java.util.Locale;

/** What a latency model predicts: three latency percentiles (ms) and the highest rate served (/s). */
public enum Target {
    P50, P95, P99, MAX_THROUGHPUT;

    public boolean latency() {
        return this != MAX_THROUGHPUT;
    }

    /** Its column in {@code runs.csv} and in the model's JSON. */
    public String column() {
        return latency() ? name().toLowerCase(Locale.ROOT) + "_ms" : "max_throughput_rps";
    }

    public String unit() {
        return latency() ? "ms" : "/s";
    }

    public String label() {
        return latency() ? name().toLowerCase(Locale.ROOT) : "max throughput";
    }
}
