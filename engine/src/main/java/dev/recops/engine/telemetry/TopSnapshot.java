package dev.recops.engine.telemetry;

import dev.recops.engine.telemetry.PrometheusText.Sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a recops server did between two scrapes of its {@code /metrics} (the Prometheus text
 * exposition, read by {@link PrometheusText}), per model version: the view {@code recops top} shows. Rates and shares come from
 * counter deltas, percentiles from the request-duration histogram's bucket deltas (interpolated
 * within a bucket, as Prometheus' histogram_quantile does), gauges from the later scrape.
 */
public record TopSnapshot(double seconds, double inFlight, Map<String, Double> degradedPerSecond, List<Version> versions) {
    /** One model version's row; the percentiles are null when nothing was answered in the interval. */
    public record Version(String model, String version, double requestsPerSecond, double errorShare, Double p50Millis, Double p99Millis,
            double queueDepth, double meanBatch, Map<String, Double> shedPerSecond, double breakerState) {}

    private static final List<String> SERVING = List.of("search", "recommend", "embed");

    /** What happened between {@code before} and {@code after}, {@code seconds} apart. */
    public static TopSnapshot between(List<Sample> before, List<Sample> after, double seconds) {
        Map<String, Double> degraded = new TreeMap<>();
        for (Sample s : after) {
            if (s.name().equals("recops_degraded_total")) {
                double d = delta(before, s);
                if (d > 0) {
                    degraded.merge(s.labels().getOrDefault("reason", "?"), d / seconds, Double::sum);
                }
            }
        }
        Map<String, String[]> keys = new TreeMap<>();
        for (Sample s : after) {
            String v = s.labels().getOrDefault("version", "");
            // a served version's series name model and version; others name a version alone (canary decisions)
            if (s.name().startsWith("recops_") && !v.isEmpty() && s.labels().containsKey("model")) {
                keys.putIfAbsent(s.labels().get("model") + ":" + v, new String[] {s.labels().get("model"), v});
            }
        }
        List<Version> rows = new ArrayList<>();
        for (String[] k : keys.values()) {
            double requests = 0, errors = 0, batchSum = 0, batchCount = 0, queue = 0, breaker = 0;
            TreeMap<Double, Double> buckets = new TreeMap<>();
            Map<String, Double> shed = new TreeMap<>();
            for (Sample s : after) {
                if (!k[0].equals(s.labels().get("model")) || !k[1].equals(s.labels().get("version"))) {
                    continue;
                }
                boolean serving = SERVING.contains(s.labels().getOrDefault("endpoint", ""));
                switch (s.name()) {
                    case "recops_requests_total" -> {
                        if (serving) {
                            double d = delta(before, s);
                            requests += d;
                            errors += s.labels().getOrDefault("code", "").startsWith("5") ? d : 0;
                        }
                    }
                    case "recops_request_duration_seconds_bucket" -> {
                        if (serving) {
                            String le = s.labels().getOrDefault("le", "+Inf");
                            buckets.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), delta(before, s), Double::sum);
                        }
                    }
                    case "recops_batch_size_sum" -> batchSum += delta(before, s);
                    case "recops_batch_size_count" -> batchCount += delta(before, s);
                    case "recops_queue_depth" -> queue = s.value();
                    case "recops_breaker_state" -> breaker = s.value();
                    case "recops_shed_total" -> {
                        double d = delta(before, s);
                        if (d > 0) {
                            shed.merge(s.labels().getOrDefault("reason", "?"), d / seconds, Double::sum);
                        }
                    }
                    default -> { }
                }
            }
            double p50 = quantile(buckets, 0.50), p99 = quantile(buckets, 0.99);
            rows.add(new Version(k[0], k[1], requests / seconds, requests > 0 ? errors / requests : 0, Double.isNaN(p50) ? null : p50 * 1e3,
                    Double.isNaN(p99) ? null : p99 * 1e3, queue, batchCount > 0 ? batchSum / batchCount : 0, shed, breaker));
        }
        double inFlight = after.stream().filter(s -> s.name().equals("recops_in_flight_requests")).mapToDouble(Sample::value).sum();
        return new TopSnapshot(seconds, inFlight, degraded, rows);
    }

    /** The counter's increase since {@code before} (its whole value when it was not there, or when it was reset). */
    private static double delta(List<Sample> before, Sample now) {
        for (Sample s : before) {
            if (s.name().equals(now.name()) && s.labels().equals(now.labels())) {
                return now.value() >= s.value() ? now.value() - s.value() : now.value();
            }
        }
        return now.value();
    }

    /** The q-quantile of cumulative bucket counts (upper bound to count), NaN when nothing was observed. */
    static double quantile(TreeMap<Double, Double> cumulative, double q) {
        double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total, lower = 0, below = 0;
        for (Map.Entry<Double, Double> b : cumulative.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return lower; // beyond the last finite bound: the best known is that bound
                }
                double inBucket = b.getValue() - below;
                return lower + (b.getKey() - lower) * (inBucket > 0 ? (rank - below) / inBucket : 1);
            }
            lower = b.getKey();
            below = b.getValue();
        }
        return lower;
    }
}
