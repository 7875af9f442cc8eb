package dev.recops.analysis.latency;

import java.util.Locale;

/** What a latency model predicts. */
public enum Target {
    P50("p50_ms", "ms"),
    P95("p95_ms", "ms"),
    P99("p99_ms", "ms"),
    MAX_THROUGHPUT("max_throughput_rps", "/s");

    public final String column;
    public final String unit;

    Target(String column, String unit) {
        this.column = column;
        this.unit = unit;
    }

    public boolean latency() {
        return this != MAX_THROUGHPUT;
    }

    public String label() {
        return this == MAX_THROUGHPUT ? "max throughput" : name().toLowerCase(Locale.ROOT);
    }
}
