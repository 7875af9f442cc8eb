package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import smile.base.cart.Loss;
import smile.data.DataFrame;
import smile.data.formula.Formula;
import smile.regression.DataFrameRegression;
import smile.regression.GradientTreeBoost;
import smile.regression.OLS;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The time of one model call (one batch) as a function of the texts in it, their tokens, and the
 * workers and threads sharing the cores: learned from the model calls the server made during
 * each run ({@code mean_batch}, {@code mean_call_ms}). Linear (a fixed cost per call plus a cost
 * per text, both scaled by contention; extrapolates to batches never measured) or boosted trees
 * (no shape assumed; flat outside the data). {@link QueueModel} keeps the kind whose capacity
 * matches the configurations driven past it.
 */
final class ServiceTime implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind { LINEAR, TREES }

    private static final String[] LINEAR = {"batch", "batch_tokens", "workers", "threads", "batch_workers", "batch_threads"};
    private static final String[] TREES = {"batch", "tokens", "workers", "threads"};

    private final Kind kind;
    private final DataFrameRegression model;
    private final double cvMape;

    static final int MIN_RUNS = LINEAR.length + 2;

    private ServiceTime(Kind kind, DataFrameRegression model, double cvMape) {
        this.kind = kind;
        this.model = model;
        this.cvMape = cvMape;
    }

    Kind kind() {
        return kind;
    }

    /** Mean absolute percentage error of the chosen kind on configurations left out; NaN with one configuration. */
    double cvMape() {
        return cvMape;
    }

    /** Milliseconds per call; never below a microsecond (a fit may cross zero far from the data). */
    double millis(double batch, double tokens, int workers, int threads) {
        double[][] row = {kind == Kind.LINEAR
                ? new double[] {batch, batch * tokens, workers, threads, batch * workers, batch * threads}
                : new double[] {batch, tokens, workers, threads}};
        return Math.max(1e-3, model.predict(DataFrame.of(row, kind == Kind.LINEAR ? LINEAR : TREES))[0]);
    }

    /** The runs that recorded their model calls. */
    static List<Observation> calls(List<Observation> observations) {
        List<Observation> calls = observations.stream().filter(Observation::hasServiceTime).toList();
        if (calls.size() < MIN_RUNS) {
            throw AnalysisException.invalid("the queueing model needs the model calls of at least " + MIN_RUNS
                    + " runs (mean_batch, mean_call_ms columns: recops bench records them); found " + calls.size());
        }
        return calls;
    }

    /** Fits one kind, with its error on configurations left out (k-fold grouped by configuration). */
    static ServiceTime fit(List<Observation> observations, Kind kind) {
        List<Observation> calls = calls(observations);
        Map<Config, List<Observation>> groups = Samples.byConfig(calls);
        double mape = Double.NaN;
        if (groups.size() > 1) {
            double sum = 0;
            int n = 0;
            for (List<Config> test : Folds.assign(new ArrayList<>(groups.keySet()), Math.min(5, groups.size()))) {
                List<Observation> train = calls.stream().filter(o -> !test.contains(o.config())).toList();
                if (train.size() < MIN_RUNS) {
                    continue;
                }
                ServiceTime s = new ServiceTime(kind, train(kind, train), Double.NaN);
                for (Observation o : calls) {
                    if (test.contains(o.config())) {
                        sum += Math.abs(s.millis(o.meanBatch(), o.query().queryTokens(), o.config().workers(), o.config().threads())
                                - o.callMillis()) / o.callMillis();
                        n++;
                    }
                }
            }
            mape = n == 0 ? Double.NaN : 100 * sum / n;
        }
        return new ServiceTime(kind, train(kind, calls), mape);
    }

    private static DataFrameRegression train(Kind kind, List<Observation> calls) {
        String[] names = kind == Kind.LINEAR ? LINEAR : TREES;
        double[][] rows = new double[calls.size()][names.length + 1];
        for (int i = 0; i < calls.size(); i++) {
            Observation o = calls.get(i);
            double b = o.meanBatch();
            double t = o.query().queryTokens();
            int w = o.config().workers();
            int th = o.config().threads();
            double[] x = kind == Kind.LINEAR ? new double[] {b, b * t, w, th, b * w, b * th} : new double[] {b, t, w, th};
            System.arraycopy(x, 0, rows[i], 0, x.length);
            rows[i][names.length] = o.callMillis();
        }
        String[] all = Arrays.copyOf(names, names.length + 1);
        all[names.length] = "call_ms";
        DataFrame df = DataFrame.of(rows, all);
        Formula f = Formula.lhs("call_ms");
        return kind == Kind.LINEAR
                ? OLS.fit(f, df, new OLS.Options(OLS.Method.SVD, false, false))
                : GradientTreeBoost.fit(f, df, new GradientTreeBoost.Options(Loss.ls(), 200, 6, 8, 3, 0.05, 0.8, null, null));
    }
}
