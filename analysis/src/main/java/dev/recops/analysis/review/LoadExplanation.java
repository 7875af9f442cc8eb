package dev.recops.analysis.review;

import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Query;
import dev.recops.analysis.latency.Target;

import java.time.Instant;
import java.util.List;

/**
 * Whether a slow minute is explained by its load: a latency model (recops train) predicts the
 * p99 the server should have shown at the minute's observed rate, with the model's
 * cross-validated error as the band around it. A slow minute (p99 over 1.5 times the period's
 * median, or over a latency objective) above the band is slow beyond what load explains (a fault,
 * a deploy, a noisy neighbour); within it, slow because of load (capacity). The settings the model
 * predicts for are the ones most common in its training data.
 */
public final class LoadExplanation {
    /** How far above the period's median p99 a minute must be to count as slow without an objective. */
    static final double SLOW = 1.5;

    public enum Verdict {
        NORMAL("normal"), LOAD("slow because of load"), BEYOND_LOAD("slow beyond what load explains");

        public final String label;

        Verdict(String label) {
            this.label = label;
        }
    }

    /**
     * @param expectedP99 what the model predicts at the minute's rate, ms (infinite past capacity)
     * @param upperP99 the top of the band: the top of the model's 80% interval of p99 there
     */
    public record Minute(Instant start, double rate, double observedP99, double expectedP99, double upperP99, Verdict verdict) {}

    private LoadExplanation() {}

    public static List<Minute> judge(LatencyModel model, List<Timeline.Minute> minutes, List<MinuteObjective> objectives) {
        Query base = model.defaultQuery();
        double median = minutes.stream().mapToDouble(Timeline.Minute::p99).sorted().skip(minutes.size() / 2).findFirst().orElse(0);
        double latencyBound = objectives.stream().filter(o -> o.metric() != MinuteObjective.Metric.ERRORS).mapToDouble(MinuteObjective::bound).min()
                .orElse(Double.POSITIVE_INFINITY);
        return minutes.stream().map(m -> {
            LatencyModel.Prediction p = model.predict(base.withRate(m.perSecond()));
            double expected = p.sustainable() ? p.p99() : Double.POSITIVE_INFINITY;
            double upper = p.sustainable() ? p.interval(Target.P99).high() : Double.POSITIVE_INFINITY;
            boolean slow = m.p99() > SLOW * median || m.p99() > latencyBound;
            Verdict v = !slow ? Verdict.NORMAL : m.p99() > upper ? Verdict.BEYOND_LOAD : Verdict.LOAD;
            return new Minute(m.start(), m.perSecond(), m.p99(), expected, upper, v);
        }).toList();
    }
}
