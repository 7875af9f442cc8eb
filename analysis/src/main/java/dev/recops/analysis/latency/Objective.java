package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;

import java.io.Serializable;

/** A latency objective such as {@code p99<=50ms}: the percentile predicted must not exceed the bound. */
public record Objective(Target target, double maxMillis) implements Serializable {
    /** Parsed as review's per-minute objectives are, keeping the percentiles a latency model predicts. */
    public static Objective parse(String s) {
        dev.recops.analysis.review.Objective o = dev.recops.analysis.review.Objective.parse(s);
        Target t = switch (o.metric()) {
            case P50 -> Target.P50;
            case P95 -> Target.P95;
            case P99 -> Target.P99;
            case P999, ERRORS -> throw AnalysisException.invalid("objective \"" + s + "\": a latency model predicts p50, p95 and p99, "
                    + "so give one of those, like p99<=50ms");
        };
        if (o.bound() <= 0) {
            throw AnalysisException.invalid("objective \"" + s + "\" must allow more than 0 ms");
        }
        return new Objective(t, o.bound());
    }

    public boolean met(LatencyModel.Prediction p) {
        return p.latency(target) <= maxMillis;
    }

    @Override
    public String toString() {
        return target.label() + "<=" + Num.format(maxMillis) + "ms";
    }
}
