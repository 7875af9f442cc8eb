package dev.recops.analysis.review;

import dev.recops.analysis.AnalysisException;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Kind;
import dev.recops.objective.Objective.Measure;
import dev.recops.objective.Objective.Vocabulary;

/**
 * A per-minute objective in the grammar every command shares ({@link Objective}):
 * {@code p99<=50ms} (p50, p95, p99, p99.9) or {@code errors<=0.1%}.
 *
 * @param bound milliseconds for a latency, a fraction for errors
 */
public record MinuteObjective(Metric metric, double bound, Objective spec) {
    public enum Metric { P50, P95, P99, P999, ERRORS }

    public static final Vocabulary VOCABULARY = Vocabulary.of("p99<=50ms or errors<=0.1%",
            Objective.latency("p50"), Objective.latency("p95"),
            Objective.latency("p99"), Objective.latency("p99.9"),
            new Measure("errors", Kind.SHARE, Objective.Direction.UPPER));

    public static MinuteObjective parse(String s) {
        Objective spec;
        try {
            spec = VOCABULARY.parse(s);
        } catch (IllegalArgumentException e) {
            throw AnalysisException.invalid(e.getMessage());
        }
        Metric metric = switch (spec.measure()) {
            case "p50" -> Metric.P50;
            case "p95" -> Metric.P95;
            case "p99" -> Metric.P99;
            case "errors" -> Metric.ERRORS;
            default -> Metric.P999;
        };
        return new MinuteObjective(metric, spec.bound(), spec);
    }

    public boolean met(Timeline.Minute m) {
        return spec.holds(m.metric(metric));
    }

    @Override
    public String toString() {
        return spec.text();
    }
}
