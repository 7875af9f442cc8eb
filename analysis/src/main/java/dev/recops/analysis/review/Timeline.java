package dev.recops.analysis.review;

import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The requests per wall-clock minute (minutes start on the minute, not at the first request):
 * rate, error rate (5xx), latency percentiles, the degraded share, the shed share (503) and the
 * query cache's hit ratio.
 */
public final class Timeline {

    /**
     * One minute. Latencies in milliseconds; shares in 0..1.
     *
     * @param start the minute's first instant
     * @param requests requests that ended in it
     * @param perSecond requests / 60
     * @param cacheHitRatio query cache hits over the requests that looked a query up; NaN when none did
     */
    public record Minute(Instant start, long requests, double perSecond, double errorRate, double p50, double p95, double p99,
                         double p999, double degradedShare, double shedShare, double cacheHitRatio) {

        public double metric(MinuteObjective.Metric m) {
            return switch (m) {
                case P50 -> p50;
                case P95 -> p95;
                case P99 -> p99;
                case P999 -> p999;
                case ERRORS -> errorRate;
            };
        }
    }

    private Timeline() {}

    /** @param requests sorted by {@code ts_ms}, as {@link AccessLogs} gives them */
    public static List<Minute> perMinute(Table requests) {
        LongColumn ts = requests.longColumn("ts_ms");
        DoubleColumn latency = requests.doubleColumn("latency_ms");
        IntColumn status = requests.intColumn("status");
        BooleanColumn degraded = requests.booleanColumn("degraded");
        StringColumn cache = requests.stringColumn("cache");
        List<Minute> out = new ArrayList<>();
        int n = requests.rowCount();
        int from = 0;
        while (from < n) {
            long minute = Math.floorDiv(ts.getLong(from), 60_000L);
            int to = from;
            while (to < n && Math.floorDiv(ts.getLong(to), 60_000L) == minute) {
                to++;
            }
            double[] lat = new double[to - from];
            long errors = 0;
            long shed = 0;
            long deg = 0;
            long hits = 0;
            long lookups = 0;
            for (int i = from; i < to; i++) {
                String c = cache.get(i);
                hits += c.equals("hit") ? 1 : 0;
                lookups += c.equals("hit") || c.equals("miss") ? 1 : 0;
                lat[i - from] = latency.getDouble(i);
                int s = status.getInt(i);
                errors += s >= 500 ? 1 : 0;
                shed += s == 503 ? 1 : 0;
                deg += degraded.get(i) ? 1 : 0;
            }
            Arrays.sort(lat);
            long count = lat.length;
            out.add(new Minute(Instant.ofEpochMilli(minute * 60_000L), count, count / 60.0, errors / (double) count, quantile(lat, 0.50),
                    quantile(lat, 0.95), quantile(lat, 0.99), quantile(lat, 0.999), deg / (double) count, shed / (double) count,
                    lookups == 0 ? Double.NaN : hits / (double) lookups));
            from = to;
        }
        return out;
    }

    /** The nearest-rank quantile of sorted values (the value at or below which q of them lie). */
    public static double quantile(double[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
