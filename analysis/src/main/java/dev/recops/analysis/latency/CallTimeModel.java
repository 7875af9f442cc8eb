package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import smile.data.DataFrame;
import smile.data.formula.Formula;
import smile.regression.LinearModel;
import smile.regression.OLS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The time of one model call from a service-time profile ({@code recops bench --profile}), by
 * least squares on physically motivated features: a fixed cost per call, a cost per padded token
 * that more intra-op threads divide, and the same token cost stretched when the workers' threads
 * outnumber the cores (they take turns). Judged by its mean absolute percentage error on points
 * it was not fitted on (k-fold over the profile's points).
 */
public final class CallTimeModel {
    static final String[] FEATURES = {"tokens", "tokens_per_thread", "tokens_overload", "texts"};

    /** One profile point: a call's shape and its median time. */
    public record Row(int batch, int tokens, int threads, int workers, int cores, double p50Ms) {
        int paddedTokens() {
            return batch * tokens;
        }

        double[] features() {
            double padded = paddedTokens();
            double overload = Math.max(0, (double) workers * threads / cores - 1);
            return new double[] {padded, padded / threads, padded * overload, batch};
        }
    }

    private final LinearModel model;
    private final double cvMape;

    private CallTimeModel(LinearModel model, double cvMape) {
        this.model = model;
        this.cvMape = cvMape;
    }

    /** Median milliseconds of one call; never below a microsecond. */
    public double millis(int batch, int tokens, int threads, int workers, int cores) {
        double[][] x = {new Row(batch, tokens, threads, workers, cores, 0).features()};
        return Math.max(1e-3, model.predict(DataFrame.of(x, FEATURES))[0]);
    }

    /** Mean absolute percentage error (a fraction) on points left out, over {@code folds} folds. */
    public double cvMape() {
        return cvMape;
    }

    public static CallTimeModel fit(List<Row> rows, int folds) {
        if (rows.size() < FEATURES.length + 2 || folds < 2) {
            throw AnalysisException.invalid("a call-time model needs at least " + (FEATURES.length + 2) + " profile points and 2 folds");
        }
        double sum = 0;
        for (int f = 0; f < folds; f++) {
            List<Row> train = new ArrayList<>();
            List<Row> test = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                (i % folds == f ? test : train).add(rows.get(i));
            }
            LinearModel m = ols(train);
            for (Row r : test) {
                double predicted = Math.max(1e-3, m.predict(DataFrame.of(new double[][] {r.features()}, FEATURES))[0]);
                sum += Math.abs(predicted - r.p50Ms()) / r.p50Ms();
            }
        }
        return new CallTimeModel(ols(rows), sum / rows.size());
    }

    private static LinearModel ols(List<Row> rows) {
        double[][] data = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            double[] x = rows.get(i).features();
            data[i] = Arrays.copyOf(x, x.length + 1);
            data[i][x.length] = rows.get(i).p50Ms();
        }
        String[] names = Arrays.copyOf(FEATURES, FEATURES.length + 1);
        names[FEATURES.length] = "ms";
        return OLS.fit(Formula.lhs("ms"), DataFrame.of(data, names), new OLS.Options(OLS.Method.SVD, false, false));
    }

    /** The rows of a profile CSV (the header {@code recops bench --profile} writes). */
    public static List<Row> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw AnalysisException.missing("cannot read the profile " + file + ": " + e.getMessage());
        }
        if (lines.isEmpty()) {
            throw AnalysisException.invalid(file + " is empty, not a profile from recops bench --profile");
        }
        List<String> header = List.of(lines.getFirst().split(","));
        int[] at = {header.indexOf("batch"), header.indexOf("tokens"), header.indexOf("threads"), header.indexOf("workers"),
                header.indexOf("cores"), header.indexOf("p50_ms")};
        if (Arrays.stream(at).anyMatch(i -> i < 0)) {
            throw AnalysisException.invalid(file + " is not a profile from recops bench --profile (columns: " + lines.getFirst() + ")");
        }
        List<Row> rows = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            String[] f = lines.get(n).split(",");
            try {
                rows.add(new Row(Integer.parseInt(f[at[0]]), Integer.parseInt(f[at[1]]), Integer.parseInt(f[at[2]]), Integer.parseInt(f[at[3]]),
                        Integer.parseInt(f[at[4]]), Double.parseDouble(f[at[5]])));
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw AnalysisException.invalid(file + ":" + (n + 1) + ": not a profile row");
            }
        }
        return rows;
    }
}
