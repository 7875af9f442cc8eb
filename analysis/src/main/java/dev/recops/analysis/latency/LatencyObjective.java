package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Vocabulary;

import java.io.Serializable;

/** A latency objective such as {@code p99<=50ms}: the percentile predicted must not exceed the bound. */
public record LatencyObjective(Target target, double maxMillis) implements Serializable {
    /** The shared grammar ({@link Objective}) with the percentiles a latency model predicts. */
    public static final Vocabulary VOCABULARY = Vocabulary.of("p99<=50ms (a latency model predicts p50, p95 and p99)",
            Objective.latency("p50"), Objective.latency("p95"),
            Objective.latency("p99"));

    public static LatencyObjective parse(String s) {
        Objective o;
        try {
            o = VOCABULARY.parse(s);
        } catch (IllegalArgumentException e) {
            throw AnalysisException.invalid(e.getMessage());
        }
        if (o.bound() <= 0) {
            throw AnalysisException.invalid("objective \"" + s + "\" must allow more than 0 ms");
        }
        Target t = switch (o.measure()) {
            case "p50" -> Target.P50;
            case "p95" -> Target.P95;
            default -> Target.P99;
        };
        return new LatencyObjective(t, o.bound());
    }

    public boolean met(LatencyModel.Prediction p) {
        return p.latency(target) <= maxMillis;
    }

    @Override
    public String toString() {
        return target.label() + "<=" + Num.format(maxMillis) + "ms";
    }
}
