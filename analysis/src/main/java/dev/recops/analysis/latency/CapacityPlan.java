package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * What {@code recops predict-latency} asks a latency model: the latency at a rate spread over
 * replicas, the highest rate one replica sustains within objectives, or the replicas a rate needs
 * within objectives keeping headroom free. The command parses options and renders the answer.
 */
public final class CapacityPlan {

    public enum Solve { PREDICT, MAX_RATE, REPLICAS }

    /**
     * @param rate requests per second offered to all replicas together; NaN when not given (only {@link Solve#MAX_RATE})
     * @param replicas replicas sharing {@code rate} for a prediction
     * @param headroom the share of each replica's max sustainable rate kept free ({@link Solve#REPLICAS})
     * @param margin each objective must hold at the top of its target's 80% prediction interval
     */
    public record Request(Solve solve, double rate, int replicas, List<LatencyObjective> objectives, double headroom, boolean margin) {
        public Request {
            objectives = List.copyOf(objectives);
            if (solve != Solve.PREDICT && objectives.isEmpty()) {
                throw AnalysisException.invalid("--solve needs at least one --slo, such as --slo 'p99<=50ms'");
            }
            if (solve != Solve.MAX_RATE && Double.isNaN(rate)) {
                throw AnalysisException.invalid("give --rate (or --solve max-rate)");
            }
            if (!Double.isNaN(rate) && !(rate > 0)) {
                throw AnalysisException.invalid("--rate must be above 0, not " + rate);
            }
            if (replicas < 1) {
                throw AnalysisException.invalid("--replicas must be at least 1, not " + replicas);
            }
            if (!(headroom >= 0 && headroom < 1)) {
                throw AnalysisException.invalid("--headroom must be in 0..1 (a fraction), not " + headroom);
            }
        }

        /** The rate one replica sees for a prediction or a replica count to start from. */
        double perReplica() {
            return Double.isNaN(rate) ? Double.NaN : solve == Solve.REPLICAS ? rate : rate / replicas;
        }
    }

    /**
     * @param query what the answer is about, at the rate per replica it settled on
     * @param prediction at {@code query}; empty when no rate met the objectives
     * @param met each objective and whether the prediction meets it ({@link Solve#PREDICT})
     * @param maxRatePerReplica the highest rate one replica sustains within the objectives, when one does
 * @param edge the max rate the model's predictions put at the objectives themselves ({@link Solve#MAX_RATE})
 * @param interval the max rate at the top and at the bottom of the predictions' 80% intervals, {low, high} ({@link Solve#MAX_RATE})
     * @param replicas how many replicas the rate needs ({@link Solve#REPLICAS})
     * @param margins the error kept to spare per objective's target (0 without a margin)
     * @param warnings what makes the answer doubtful: an unsustainable rate, an extrapolation
     * @param outOfRange the query's settings outside what the model was trained on
     */
    public record Answer(Request request, Query query, Optional<LatencyModel.Prediction> prediction, Map<LatencyObjective, Boolean> met,
                         OptionalDouble maxRatePerReplica, OptionalDouble edge, double[] interval, OptionalInt replicas,
                         Map<Target, Double> margins, List<String> warnings, List<String> outOfRange) {
        /** An objective not met, no rate that meets them, or (with {@code strict}) an extrapolation. */
        public boolean failed(boolean strict) {
            boolean answered = switch (request.solve()) {
                case PREDICT -> met.values().stream().allMatch(m -> m);
                case MAX_RATE -> maxRatePerReplica.isPresent();
                case REPLICAS -> replicas.isPresent();
            };
            return !answered || (strict && !outOfRange.isEmpty());
        }
    }

    private CapacityPlan() {}

    /** @param base the serving configuration and query tokens; its rate is replaced by the plan's */
    public static Answer solve(LatencyModel model, Query base, Request r) {
        Query query = Double.isNaN(r.perReplica()) ? base : base.withRate(r.perReplica());
        Map<Target, Double> margins = new LinkedHashMap<>();
        r.objectives().forEach(o -> margins.put(o.target(), r.margin() ? model.typicalError(o.target()) : 0));
        List<String> warnings = new ArrayList<>();
        Map<LatencyObjective, Boolean> met = new LinkedHashMap<>();
        Optional<LatencyModel.Prediction> prediction = Optional.empty();
        OptionalDouble max = OptionalDouble.empty();
        OptionalDouble edge = OptionalDouble.empty();
        double[] interval = {Double.NaN, Double.NaN};
        OptionalInt replicas = OptionalInt.empty();
        switch (r.solve()) {
            case PREDICT -> {
                LatencyModel.Prediction p = model.predict(query);
                prediction = Optional.of(p);
                if (!p.sustainable()) {
                    warnings.add(String.format(Locale.ROOT, "utilisation %.2f: the offered rate exceeds what a replica sustains (%s/s); "
                            + "queues grow until requests are shed, and these latencies do not hold", p.utilisation(), Num.format(p.maxThroughput(), 1)));
                }
                r.objectives().forEach(o -> met.put(o, o.met(p) && p.sustainable()));
            }
            case MAX_RATE -> {
                Optional<Double> m = model.maxRate(query, r.objectives(), r.margin());
                edge = model.maxRate(query, r.objectives(), false).map(OptionalDouble::of).orElse(OptionalDouble.empty());
                interval = model.maxRateInterval(query, r.objectives());
                if (m.isPresent()) {
                    max = OptionalDouble.of(m.get());
                    query = query.withRate(m.get());
                    prediction = Optional.of(model.predict(query));
                }
            }
            case REPLICAS -> {
                Optional<Double> m = model.maxRate(query.withRate(1), r.objectives(), r.margin());
                if (m.isPresent()) {
                    max = OptionalDouble.of(m.get());
                    int n = (int) Math.ceil(r.rate() / (m.get() * (1 - r.headroom())) - 1e-9);
                    replicas = OptionalInt.of(n);
                    query = query.withRate(r.rate() / n);
                    prediction = Optional.of(model.predict(query));
                }
            }
        }
        List<String> outside = model.outOfRange(query);
        outside.forEach(o -> warnings.add(o + " (an extrapolation)"));
        return new Answer(r, query, prediction, met, max, edge, interval, replicas, margins, List.copyOf(warnings), outside);
    }
}
