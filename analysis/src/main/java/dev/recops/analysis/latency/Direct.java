package dev.recops.analysis.latency;

import smile.data.DataFrame;
import smile.regression.DataFrameRegression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A regression straight from the features to the logarithm of the target (latencies and rates
 * are positive and spread over decades; the log makes errors relative, as MAPE counts them).
 * Besides the features as given it sees two derived from them: the rate per worker (the load each
 * model call stream carries) and its logarithm.
 */
record Direct(DataFrameRegression model, List<Feature> features) implements Predictor {
    static final String Y = "y";

    @Override
    public double predict(Query q) {
        return Math.exp(model.predict(DataFrame.of(new double[][] {row(q)}, names(features)))[0]);
    }

    private double[] row(Query q) {
        return row(features, q);
    }

    private static double[] row(List<Feature> features, Query q) {
        boolean load = features.contains(Feature.RATE);
        double[] x = new double[features.size() + (load ? 3 : 0)];
        for (int j = 0; j < features.size(); j++) {
            x[j] = q.feature(features.get(j));
        }
        if (load) {
            double perWorker = q.rate() / q.config().workers();
            x[features.size()] = perWorker;
            x[features.size() + 1] = Math.log(Math.max(perWorker, 1e-3));
            x[features.size() + 2] = q.config().workers() * q.config().threads();
        }
        return x;
    }

    static DataFrame frame(List<Feature> features, Samples s) {
        String[] x = names(features);
        double[][] rows = new double[s.size()][];
        for (int i = 0; i < s.size(); i++) {
            rows[i] = Arrays.copyOf(row(features, s.queries().get(i)), x.length + 1);
            rows[i][x.length] = Math.log(s.values()[i]);
        }
        String[] names = Arrays.copyOf(x, x.length + 1);
        names[x.length] = Y;
        return DataFrame.of(rows, names);
    }

    static String[] names(List<Feature> features) {
        List<String> names = new ArrayList<>(features.stream().map(f -> f.column).toList());
        if (features.contains(Feature.RATE)) {
            names.add("rate_per_worker");
            names.add("log_rate_per_worker");
            names.add("threads_in_use");
        }
        return names.toArray(String[]::new);
    }

    /** The features a target depends on: max throughput is a property of the configuration alone. */
    static List<Feature> featuresOf(Target t) {
        return t.latency() ? List.of(Feature.values()) : Feature.CONFIGURATION;
    }
}
