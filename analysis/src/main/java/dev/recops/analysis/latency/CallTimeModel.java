package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.Csv;
import smile.math.matrix.Matrix;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The time of one model call from a service-time profile ({@code recops bench --profile}): for
 * each (intra-op threads, workers calling at once) measured, a fixed cost per call, a cost per
 * padded token and a cost growing with the square of the sequence length (attention), fitted by
 * least squares on relative error (each point weighted by 1/time, as MAPE judges it; Smile's QR).
 * A fit per (threads, workers) because intra-op threading does not scale smoothly: on 2 cores
 * two threads speed a call up by 1x to 1.5x depending on its size (docs/performance.md).
 * Judged by its mean absolute percentage error on points left out (k-fold within each group).
 */
@SuppressWarnings("serial") // the Map fields hold LinkedHashMaps: serializable
public final class CallTimeModel implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One profile point: a call's shape and its median time. */
    public record Row(int batch, int tokens, int threads, int workers, int cores, double p50Ms) {
        double[] features() {
            return new double[] {1, (double) batch * tokens, batch * (double) tokens * tokens / 1000};
        }

        Group group() {
            return new Group(threads, workers);
        }
    }

    /** Folds of the cross-validation a profile is judged by. */
    public static final int FOLDS = 5;

    /** The setting a fit belongs to. */
    public record Group(int threads, int workers) implements Serializable {}

    private final Map<Group, double[]> coefficients;
    private final Map<Group, Double> cvMape;
    private final int cores;

    /** A short sample's points cannot resolve less than this, whatever the profile's own error. */
    static final double LEAST_TOLERANCE = 0.05;

    private CallTimeModel(Map<Group, double[]> coefficients, Map<Group, Double> cvMape, int cores) {
        this.coefficients = coefficients;
        this.cvMape = cvMape;
        this.cores = cores;
    }

    /** The CPUs the profile was measured on (the most of its points say); 0 when it does not say. */
    public int cores() {
        return cores;
    }

    /**
     * Median milliseconds of one call; never below a microsecond.
     *
     * @throws AnalysisException when the profile has no point with these threads and workers
     */
    public double millis(int batch, int tokens, int threads, int workers) {
        double[] beta = coefficients.get(new Group(threads, workers));
        if (beta == null) {
            throw AnalysisException.invalid("the profile has no calls with " + threads + " thread(s) and " + workers + " worker(s)");
        }
        double[] x = new Row(batch, tokens, threads, workers, 0, 0).features();
        double ms = 0;
        for (int i = 0; i < x.length; i++) {
            ms += beta[i] * x[i];
        }
        return Math.max(1e-3, ms);
    }

    /**
     * Median milliseconds of one call of a server with {@code workers} workers while {@code running}
     * of them call at once: the profile's time for that many workers calling together when it
     * measured them (a lightly loaded server's call mostly runs alone), else its time for all
     * {@code workers}, every call overlapped.
     *
     * @throws AnalysisException when the profile has no point with these threads and workers
     */
    public double millis(int batch, int tokens, int threads, int workers, int running) {
        int together = coefficients.containsKey(new Group(threads, running)) && coefficients.containsKey(new Group(threads, workers))
                ? running : workers;
        return millis(batch, tokens, threads, together);
    }

    /**
     * How a fresh sample of calls on the machine in hand compares with this profile.
     *
     * @param ratio the sample's call times over the profile's, a geometric mean over its points
     *     (1.2: calls take 20% longer than when the profile was measured)
     * @param tolerance the profile's own error at the sample's setting (its cross-validated MAPE,
     *     at least {@value #LEAST_TOLERANCE}): a difference within it is not a change
     */
    public record Drift(double ratio, double tolerance, int points) {
        public boolean changed() {
            return Math.abs(Math.log(ratio)) > Math.log1p(tolerance);
        }
    }

    /**
     * Compares a sample (points measured now, as {@code recops bench --profile} measures them)
     * with what this profile predicts for the same calls.
     *
     * @throws AnalysisException when the sample is empty or its setting is not in the profile
     */
    public Drift compare(List<Row> sample) {
        if (sample.isEmpty()) {
            throw AnalysisException.invalid("no calls to compare with the profile");
        }
        double logSum = 0;
        double tolerance = LEAST_TOLERANCE;
        for (Row r : sample) {
            logSum += Math.log(r.p50Ms() / millis(r.batch(), r.tokens(), r.threads(), r.workers()));
            tolerance = Math.max(tolerance, cvMape.getOrDefault(r.group(), 0.0));
        }
        return new Drift(Math.exp(logSum / sample.size()), tolerance, sample.size());
    }

    /** MAPE (a fraction) on points left out, per (threads, workers). */
    public Map<Group, Double> cvMapeByGroup() {
        return cvMape;
    }

    /** MAPE (a fraction) on points left out, over every point. */
    public double cvMape() {
        return cvMape.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    public static CallTimeModel fit(List<Row> rows, int folds) {
        Map<Group, List<Row>> groups = new TreeMap<>(Comparator.comparingInt(Group::threads).thenComparingInt(Group::workers));
        rows.forEach(r -> groups.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r));
        Map<Group, double[]> coefficients = new LinkedHashMap<>();
        Map<Group, Double> mape = new LinkedHashMap<>();
        for (Map.Entry<Group, List<Row>> g : groups.entrySet()) {
            List<Row> rs = g.getValue();
            if (rs.size() < 2 * folds || folds < 2) {
                throw AnalysisException.invalid("a call-time model needs at least " + 2 * Math.max(2, folds) + " profile points for "
                        + g.getKey().threads() + " thread(s) and " + g.getKey().workers() + " worker(s); found " + rs.size());
            }
            double sum = 0;
            for (int f = 0; f < folds; f++) {
                List<Row> train = new ArrayList<>();
                List<Row> test = new ArrayList<>();
                for (int i = 0; i < rs.size(); i++) {
                    (i % folds == f ? test : train).add(rs.get(i));
                }
                double[] beta = solve(train);
                for (Row r : test) {
                    double[] x = r.features();
                    double predicted = 0;
                    for (int i = 0; i < x.length; i++) {
                        predicted += beta[i] * x[i];
                    }
                    sum += Math.abs(Math.max(1e-3, predicted) - r.p50Ms()) / r.p50Ms();
                }
            }
            coefficients.put(g.getKey(), solve(rs));
            mape.put(g.getKey(), sum / rs.size());
        }
        int cores = rows.stream().collect(Collectors.groupingBy(Row::cores, Collectors.counting()))
                .entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(0);
        return new CallTimeModel(coefficients, mape, cores);
    }

    /** Least squares on relative error: each row and its time divided by the time. */
    private static double[] solve(List<Row> rows) {
        double[][] x = new double[rows.size()][];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            double[] f = rows.get(i).features();
            double w = 1 / rows.get(i).p50Ms();
            x[i] = new double[f.length];
            for (int k = 0; k < f.length; k++) {
                x[i][k] = f[k] * w;
            }
            y[i] = 1;
        }
        return Matrix.of(x).qr().solve(y);
    }

    /** The rows of a profile CSV (the header {@code recops bench --profile} writes). */
    public static List<Row> read(Path file) {
        List<Csv.Row> lines = Csv.rows(file);
        if (lines.isEmpty()) {
            throw AnalysisException.invalid(file + " is empty, not a profile from recops bench --profile");
        }
        List<String> header = lines.getFirst().fields();
        int[] at = {header.indexOf("batch"), header.indexOf("tokens"), header.indexOf("threads"), header.indexOf("workers"),
                header.indexOf("cores"), header.indexOf("p50_ms")};
        if (Arrays.stream(at).anyMatch(i -> i < 0)) {
            throw AnalysisException.invalid(file + " is not a profile from recops bench --profile (columns: " + String.join(",", header) + ")");
        }
        List<Row> rows = new ArrayList<>();
        for (Csv.Row line : lines.subList(1, lines.size())) {
            List<String> f = line.fields();
            try {
                rows.add(new Row(Integer.parseInt(f.get(at[0])), Integer.parseInt(f.get(at[1])), Integer.parseInt(f.get(at[2])),
                        Integer.parseInt(f.get(at[3])), Integer.parseInt(f.get(at[4])), Double.parseDouble(f.get(at[5]))));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw AnalysisException.invalid(file + ":" + line.line() + ": not a profile row");
            }
        }
        return rows;
    }
}
