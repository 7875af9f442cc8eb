package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;

import java.io.Serializable;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Fits every algorithm to every target, judges each by k-fold cross-validation grouped by
 * configuration (a configuration's runs are all learned or all judged, never split), keeps the
 * best per target (or the one asked for), refits it on everything, and ranks the features by
 * permutation importance.
 */
public final class Trainer {
    private Trainer() {}

    /**
     * Out-of-fold error of one algorithm on one target.
     *
     * @param mape mean absolute percentage error, percent
     * @param rmse root mean squared error, in the target's unit
     * @param r2 coefficient of determination
     * @param logRmse root mean square of log(predicted / measured)
     * @param halfWidth80 the half-width, in log, of the 80% prediction interval: the conformal
     *     quantile of |log(predicted / measured)| over the points left out (the ⌈0.8(n+1)⌉-th
     *     smallest), so that eight in ten new points fall inside whatever the shape of the errors
     * @param coverage80 the share of the points left out inside an interval of that kind computed
     *     without their own fold's errors: the coverage a new configuration can expect
     * @param failure why the algorithm could not be judged ("" when it was)
     */
    public record Score(Algorithm algorithm, int n, double mape, double rmse, double r2, double logRmse, double halfWidth80,
                        double coverage80, String failure) implements Serializable {
        /** A mean error beyond this many percent is a fit that diverged (a linear model extrapolating), not a figure. */
        static final double DIVERGED_MAPE = 10_000;

        static Score failed(Algorithm a, String why) {
            return new Score(a, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, why);
        }

        public boolean usable() {
            return failure.isEmpty() && n > 0 && Double.isFinite(mape) && mape < DIVERGED_MAPE;
        }

        /** The 80% interval's high over its low: how wide a range a plan must allow for. */
        public double widthRatio80() {
            return Math.exp(2 * halfWidth80);
        }
    }

    /** How much worse the chosen model gets when one feature's values are shuffled among the samples (MAPE points). */
    public record Importance(Feature feature, double mapeIncrease) implements Serializable {}

    /** What training found for one target. */
    public record TargetReport(Target target, int samples, int configurations, List<Score> scores, Algorithm chosen,
                               List<Importance> importance) implements Serializable {
        public Score chosenScore() {
            return scores.stream().filter(s -> s.algorithm() == chosen).findFirst().orElseThrow();
        }
    }

    /**
     * @param only the algorithm to use for every target; empty chooses per target by cross-validated MAPE
     * @param folds at most this many folds (fewer when there are fewer configurations)
     */
    public static LatencyModel train(TrainingData data, Optional<Algorithm> only, int folds) {
        return train(data, only, folds, Progress.NONE);
    }

    /** Where training is: one step is one fold of one algorithm's cross-validation on one target. */
    public interface Progress {
        Progress NONE = (what, done, total) -> { };

        /** @param what the step about to run, e.g. {@code p99: gradient boosting, fold 3/5} */
        void step(String what, int done, int total);
    }

    /** As {@link #train(TrainingData, Optional, int)}, telling {@code progress} each step. */
    public static LatencyModel train(TrainingData data, Optional<Algorithm> only, int folds, Progress progress) {
        if (folds < 2) {
            throw AnalysisException.invalid("cross-validation needs at least 2 folds, not " + folds);
        }
        List<Observation> obs = data.observations();
        Optional<CallTimeModel> profile = Optional.ofNullable(data.profile());
        List<Config> configs = new ArrayList<>(Samples.byConfig(obs).keySet());
        if (configs.size() < 2) {
            throw AnalysisException.invalid("the data holds one configuration; cross-validation grouped by configuration needs at least "
                    + "two (vary --batch-max, --workers or --threads between runs)");
        }
        List<List<Config>> split = Folds.assign(configs, Math.min(folds, configs.size()));
        Map<Target, Predictor> predictors = new EnumMap<>(Target.class);
        Map<Target, TargetReport> reports = new EnumMap<>(Target.class);
        List<Algorithm> candidates = only.map(List::of).orElse(List.of(Algorithm.values()));
        int total = Target.values().length * candidates.size() * split.size();
        int[] done = {0};
        for (Target t : Target.values()) {
            Samples all = Samples.of(t, obs);
            if (all.size() == 0) {
                done[0] += candidates.size() * split.size();
                continue;
            }
            List<Score> scores = new ArrayList<>();
            for (Algorithm a : candidates) {
                int before = done[0];
                scores.add(crossValidate(a, t, obs, profile, split, fold -> progress.step(t.label() + ": " + a.label + ", fold " + fold + "/" + split.size(),
                        done[0]++, total)));
                done[0] = before + split.size(); // a failed fold ends its algorithm's cross-validation early
            }
            Optional<Score> best = scores.stream().filter(Score::usable).min(Comparator.comparingDouble(Score::mape));
            if (best.isEmpty()) {
                if (only.isPresent()) {
                    throw AnalysisException.invalid(only.get().label + " cannot model " + t.label() + ": " + scores.getFirst().failure());
                }
                continue;
            }
            Algorithm chosen = best.get().algorithm();
            Predictor p = chosen.fit(t, obs, profile);
            predictors.put(t, p);
            int groups = (int) all.queries().stream().map(Query::config).distinct().count();
            reports.put(t, new TargetReport(t, all.size(), groups, scores, chosen, importance(p, t, all)));
        }
        if (!predictors.containsKey(Target.P99) && !predictors.containsKey(Target.P50)) {
            throw AnalysisException.invalid("no latency target could be modelled from " + data.files());
        }
        Optional<QueueModel> queue = Optional.empty();
        Optional<Simulated> simulated = Optional.empty();
        for (Predictor p : predictors.values()) {
            if (p instanceof QueueModel.ForTarget q) {
                queue = Optional.of(q.model());
            } else if (p instanceof Simulated.ForTarget s) {
                simulated = Optional.of(s.model());
            }
        }
        return new LatencyModel(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), data, reports, predictors,
                queue.map(q -> new LatencyModel.QueueFacts(q.service().kind().name().toLowerCase(Locale.ROOT), q.service().cvMape(),
                        q.beta())),
                simulated.map(s -> facts(data.profile(), s)));
    }

    private static LatencyModel.SimulationFacts facts(CallTimeModel profile, Simulated s) {
        WhatIf.Outside o = s.outside();
        return o.equals(WhatIf.Outside.NONE)
                ? new LatencyModel.SimulationFacts(profile.cores(), profile.cvMape(), s.impliedMillis(), 0, Double.NaN)
                : new LatencyModel.SimulationFacts(profile.cores(), profile.cvMape(), o.cpuMillis(), o.backgroundMillis(), o.latencyMillis());
    }

    static Score crossValidate(Algorithm a, Target t, List<Observation> obs, Optional<CallTimeModel> profile, List<List<Config>> folds) {
        return crossValidate(a, t, obs, profile, folds, fold -> { });
    }

    /** @param starting told each fold's number (from 1) before it is fitted */
    static Score crossValidate(Algorithm a, Target t, List<Observation> obs, Optional<CallTimeModel> profile, List<List<Config>> folds,
                               IntConsumer starting) {
        List<Double> truth = new ArrayList<>();
        List<Double> predicted = new ArrayList<>();
        List<Integer> foldOf = new ArrayList<>();
        try {
            int fold = 0;
            for (List<Config> test : folds) {
                starting.accept(++fold);
                List<Observation> train = obs.stream().filter(o -> !test.contains(o.config())).toList();
                Samples held = Samples.of(t, obs.stream().filter(o -> test.contains(o.config())).toList());
                if (held.size() == 0) {
                    continue;
                }
                Predictor p = a.fit(t, train, profile);
                if (p == null) {
                    return Score.failed(a, "too few samples in a training fold");
                }
                for (int i = 0; i < held.size(); i++) {
                    truth.add(held.values()[i]);
                    predicted.add(p.predict(held.queries().get(i)));
                    foldOf.add(fold);
                }
            }
        } catch (AnalysisException e) {
            return Score.failed(a, e.getMessage());
        } catch (RuntimeException e) { // Smile refuses degenerate folds (a constant column, too few rows for a tree)
            return Score.failed(a, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        double[] y = truth.stream().mapToDouble(Double::doubleValue).toArray();
        double[] p = predicted.stream().mapToDouble(Double::doubleValue).toArray();
        double[] error = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            error[i] = Math.abs(Math.log(p[i] / y[i]));
        }
        int inside = 0;
        for (int i = 0; i < y.length; i++) {
            final int fold = foldOf.get(i);
            double[] others = IntStream.range(0, y.length).filter(k -> foldOf.get(k) != fold).mapToDouble(k -> error[k]).toArray();
            inside += others.length > 0 && error[i] <= conformal80(others) ? 1 : 0;
        }
        return new Score(a, y.length, mape(y, p), rmse(y, p), r2(y, p), logRmse(y, p), conformal80(error),
                y.length == 0 ? Double.NaN : inside / (double) y.length, "");
    }

    /**
     * The split-conformal 80% quantile of absolute errors: the ⌈0.8(n+1)⌉-th smallest (the largest
     * when that is beyond n); NaN for none. A new point's error is at most this with probability
     * at least 0.8 when it is exchangeable with these.
     */
    static double conformal80(double[] absErrors) {
        if (absErrors.length == 0) {
            return Double.NaN;
        }
        double[] sorted = absErrors.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(0.8 * (sorted.length + 1));
        return sorted[Math.min(rank, sorted.length) - 1];
    }

    /** Smile has no MAPE; percent. */
    static double mape(double[] truth, double[] predicted) {
        double sum = 0;
        for (int i = 0; i < truth.length; i++) {
            sum += Math.abs(predicted[i] - truth[i]) / Math.abs(truth[i]);
        }
        return truth.length == 0 ? Double.NaN : 100 * sum / truth.length;
    }

    static double logRmse(double[] truth, double[] predicted) {
        double sum = 0;
        for (int i = 0; i < truth.length; i++) {
            double d = Math.log(predicted[i] / truth[i]);
            sum += d * d;
        }
        return truth.length == 0 ? Double.NaN : Math.sqrt(sum / truth.length);
    }

    static double rmse(double[] truth, double[] predicted) {
        double sum = 0;
        for (int i = 0; i < truth.length; i++) {
            sum += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
        }
        return truth.length == 0 ? Double.NaN : Math.sqrt(sum / truth.length);
    }

    static double r2(double[] truth, double[] predicted) {
        double mean = Arrays.stream(truth).average().orElse(Double.NaN);
        double res = 0;
        double tot = 0;
        for (int i = 0; i < truth.length; i++) {
            res += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
            tot += (truth[i] - mean) * (truth[i] - mean);
        }
        return tot == 0 ? Double.NaN : 1 - res / tot;
    }

    /** Permutation importance on the training samples, most important first. */
    static List<Importance> importance(Predictor p, Target t, Samples s) {
        double[] base = predictAll(p, s.queries());
        double baseMape = mape(s.values(), base);
        List<Importance> out = new ArrayList<>();
        Random random = new Random(Folds.SEED);
        for (Feature f : Direct.featuresOf(t)) {
            List<Double> values = new ArrayList<>(s.queries().stream().map(q -> q.feature(f)).toList());
            Collections.shuffle(values, random);
            List<Query> shuffled = new ArrayList<>();
            for (int i = 0; i < s.size(); i++) {
                shuffled.add(s.queries().get(i).with(f, values.get(i)));
            }
            out.add(new Importance(f, mape(s.values(), predictAll(p, shuffled)) - baseMape));
        }
        out.sort(Comparator.comparingDouble(Importance::mapeIncrease).reversed());
        return out;
    }

    private static double[] predictAll(Predictor p, List<Query> queries) {
        return queries.stream().mapToDouble(p::predict).toArray();
    }
}
