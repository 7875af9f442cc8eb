package dev.recops.analysis.review;

import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Input drift between two sets of requests: per feature the population stability index (PSI)
 * and, for numeric features, the two-sample Kolmogorov-Smirnov statistic D.
 *
 * <p>PSI = Σ (current - baseline) · ln(current / baseline) over bins (shares floored at 1e-4): a
 * numeric feature with at most 20 distinct values is binned by value, else by the baseline's
 * deciles; a categorical feature by value. Conventionally below 0.1 is stable, 0.1-0.2 moderate,
 * above 0.2 a significant shift.
 */
public final class Drift {
    static final double FLOOR = 1e-4;

    /**
     * @param ks the KS statistic D (NaN for a categorical feature)
     * @param baselineMean the mean of a numeric feature, NaN otherwise (likewise currentMean)
     */
    public record Feature(String name, double psi, double ks, double baselineMean, double currentMean) {}

    private Drift() {}

    public static List<Feature> compare(Table baseline, Table current) {
        List<Feature> out = new ArrayList<>();
        out.add(numeric("query_tokens", ints(baseline, "query_tokens"), ints(current, "query_tokens")));
        out.add(numeric("k", ints(baseline, "k"), ints(current, "k")));
        out.add(categorical("endpoint", baseline.rowCount(), i -> baseline.stringColumn("endpoint").get(i), current.rowCount(),
                i -> current.stringColumn("endpoint").get(i)));
        out.add(categorical("degraded", baseline.rowCount(), i -> String.valueOf(baseline.booleanColumn("degraded").get(i)), current.rowCount(),
                i -> String.valueOf(current.booleanColumn("degraded").get(i))));
        out.add(categorical("status", baseline.rowCount(), i -> String.valueOf(baseline.intColumn("status").getInt(i)), current.rowCount(),
                i -> String.valueOf(current.intColumn("status").getInt(i))));
        return out;
    }

    private static double[] ints(Table t, String column) {
        int[] v = t.intColumn(column).asIntArray();
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    static Feature numeric(String name, double[] baseline, double[] current) {
        double[] b = baseline.clone();
        double[] c = current.clone();
        Arrays.sort(b);
        Arrays.sort(c);
        TreeSet<Double> distinct = new TreeSet<>();
        for (double v : b) {
            distinct.add(v);
            if (distinct.size() > 20) {
                break;
            }
        }
        double[] edges; // upper bounds of the bins but the last
        if (distinct.size() <= 20) {
            edges = distinct.stream().mapToDouble(Double::doubleValue).limit(Math.max(0, distinct.size() - 1)).toArray();
        } else {
            edges = new double[9];
            for (int i = 1; i <= 9; i++) {
                edges[i - 1] = b[Math.min(b.length - 1, (int) Math.floor(i * b.length / 10.0))];
            }
        }
        return new Feature(name, psi(histogram(b, edges), histogram(c, edges)), ks(b, c), mean(b), mean(c));
    }

    private static double[] histogram(double[] sorted, double[] edges) {
        double[] h = new double[edges.length + 1];
        for (double v : sorted) {
            int bin = Arrays.binarySearch(edges, v);
            h[bin >= 0 ? bin : -bin - 1]++;
        }
        for (int i = 0; i < h.length; i++) {
            h[i] = sorted.length == 0 ? 0 : h[i] / sorted.length;
        }
        return h;
    }

    static Feature categorical(String name, int nb, IntFunction<String> b, int nc, IntFunction<String> c) {
        Map<String, double[]> counts = new TreeMap<>();
        for (int i = 0; i < nb; i++) {
            counts.computeIfAbsent(b.apply(i), k -> new double[2])[0]++;
        }
        for (int i = 0; i < nc; i++) {
            counts.computeIfAbsent(c.apply(i), k -> new double[2])[1]++;
        }
        double[] hb = new double[counts.size()];
        double[] hc = new double[counts.size()];
        int j = 0;
        for (double[] v : counts.values()) {
            hb[j] = nb == 0 ? 0 : v[0] / nb;
            hc[j] = nc == 0 ? 0 : v[1] / nc;
            j++;
        }
        return new Feature(name, psi(hb, hc), Double.NaN, Double.NaN, Double.NaN);
    }

    static double psi(double[] baseline, double[] current) {
        double sum = 0;
        for (int i = 0; i < baseline.length; i++) {
            double b = Math.max(baseline[i], FLOOR);
            double c = Math.max(current[i], FLOOR);
            sum += (c - b) * Math.log(c / b);
        }
        return sum;
    }

    /** Two-sample KS statistic of sorted samples. */
    static double ks(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            return Double.NaN;
        }
        int i = 0;
        int j = 0;
        double d = 0;
        while (i < a.length && j < b.length) {
            double x = Math.min(a[i], b[j]);
            while (i < a.length && a[i] <= x) {
                i++;
            }
            while (j < b.length && b[j] <= x) {
                j++;
            }
            d = Math.max(d, Math.abs(i / (double) a.length - j / (double) b.length));
        }
        return d;
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }
}
