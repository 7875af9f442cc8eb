package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import smile.base.cart.Loss;
import smile.data.DataFrame;
import smile.data.formula.Formula;
import smile.math.MathEx;
import smile.regression.GradientTreeBoost;
import smile.regression.OLS;
import smile.regression.RandomForest;
import smile.regression.RidgeRegression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.LongStream;

/**
 * The ways {@code recops train} can model a target. {@link #SIMULATION} runs the batcher's own
 * policy over a profile of the model's call time; {@link #QUEUE} composes a learned service time
 * with queueing theory; the others regress the log of the target on the features directly.
 */
public enum Algorithm {
    /**
     * The batcher simulated in virtual time over the call-time profile, calibrated on the runs:
     * see {@link Simulated}. Needs a profile ({@code recops train --profile}).
     */
    SIMULATION("simulation"),
    /** Service time (linear or trees) composed with a batch-service queue: see {@link QueueModel}. */
    QUEUE("queue"),
    /** Ordinary least squares. */
    OLS_("ols"),
    /** Least squares with an L2 penalty: steadier than OLS when features move together. */
    RIDGE("ridge"),
    /** Gradient-boosted trees, squared loss. */
    GBM("gbm"),
    /**
     * Gradient-boosted trees, quantile loss at the median: each run counts by the sign of its
     * error, so a run disturbed by a noisy neighbour pulls the model no more than any other.
     */
    GBM_QUANTILE("gbm-quantile"),
    /** Random forest. */
    FOREST("forest"),
    /**
     * The geometric mean of ridge, gbm-quantile and forest: a linear trend, a robust boosted fit
     * and an average of many trees err in different places, so their mean errs less than each.
     */
    ENSEMBLE("ensemble");

    private static final List<Algorithm> MEMBERS = List.of(RIDGE, GBM_QUANTILE, FOREST);

    private static final int TREES = 300;

    public final String label;

    Algorithm(String label) {
        this.label = label;
    }

    public static Algorithm parse(String s) {
        for (Algorithm a : values()) {
            if (a.label.equals(s.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw AnalysisException.invalid("unknown algorithm \"" + s + "\": use auto or one of "
                + Arrays.stream(values()).map(a -> a.label).toList());
    }

    /**
     * Fits this algorithm to one target; null when the observations hold too few samples for it.
     *
     * @param profile the model's call-time profile, which {@link #SIMULATION} needs
     */
    Predictor fit(Target t, List<Observation> observations, Optional<CallTimeModel> profile) {
        if (this == SIMULATION) {
            CallTimeModel p = profile.orElseThrow(() -> AnalysisException.invalid(
                    "the simulation needs the model's call-time profile: recops bench --profile FILE.csv, then train --profile FILE.csv"));
            return new Simulated.ForTarget(Simulated.fit(p, observations), t);
        }
        if (this == QUEUE) {
            QueueModel m = QueueModel.fit(observations);
            return new QueueModel.ForTarget(m, t);
        }
        if (this == ENSEMBLE) {
            List<Predictor> members = new ArrayList<>();
            for (Algorithm a : MEMBERS) {
                Predictor p = a.fit(t, observations, profile);
                if (p == null) {
                    return null;
                }
                members.add(p);
            }
            return new Ensemble(List.copyOf(members));
        }
        Samples s = Samples.forTraining(t, observations);
        // A feature that never varies in the data teaches nothing (and ridge refuses it); one that
        // some rows do not tell (older runs without catalog columns) cannot be fitted.
        List<Feature> features = Direct.featuresOf(t).stream()
                .filter(f -> s.queries().stream().mapToDouble(q -> q.feature(f)).allMatch(Double::isFinite))
                .filter(f -> s.queries().stream().mapToDouble(q -> q.feature(f)).distinct().limit(2).count() > 1).toList();
        if (s.size() < features.size() + 2) {
            return null;
        }
        DataFrame df = Direct.frame(features, s);
        Formula f = Formula.lhs(Direct.Y);
        MathEx.setSeed(Folds.SEED);
        int nodeSize = Math.max(2, Math.min(5, s.size() / 10));
        var model = switch (this) {
            case OLS_ -> OLS.fit(f, df, new OLS.Options(OLS.Method.SVD, false, false));
            case RIDGE -> RidgeRegression.fit(f, df, 0.1);
            case GBM -> GradientTreeBoost.fit(f, df, new GradientTreeBoost.Options(Loss.ls(), TREES, 6, 8, nodeSize, 0.05, 0.8, null, null));
            case GBM_QUANTILE -> GradientTreeBoost.fit(f, df,
                    new GradientTreeBoost.Options(Loss.quantile(0.5), TREES, 6, 8, nodeSize, 0.05, 0.8, null, null));
            case FOREST -> RandomForest.fit(f, df, new RandomForest.Options(TREES, Math.max(1, features.size() / 2), 20, 64, nodeSize, 1.0,
                    LongStream.range(0, TREES).map(i -> Folds.SEED + i).toArray(), null));
            case SIMULATION, QUEUE, ENSEMBLE -> throw new AssertionError();
        };
        return new Direct(model, features);
    }

    /** The geometric mean of its members' predictions. */
    record Ensemble(List<Predictor> members) implements Predictor {
        @Override
        public double predict(Query q) {
            return Math.exp(members.stream().mapToDouble(m -> Math.log(m.predict(q))).average().orElseThrow());
        }
    }
}
