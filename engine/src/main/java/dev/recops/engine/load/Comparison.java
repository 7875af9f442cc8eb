package dev.recops.engine.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Whether a run regressed against a baseline run, beyond run-to-run noise.
 *
 * <p>How it decides: each run carries one value per second of its measured window (p50, p99,
 * responses). For each metric the two sets of per-second values are compared with a one-sided
 * Mann-Whitney U test (normal approximation with tie correction). A regression is flagged only
 * when the change is significant ({@code p < 0.01}) and larger than {@value #MIN_CHANGE} of the
 * baseline's median: significance alone would flag 1% shifts on long runs, size alone would
 * flag noise on short ones. With fewer than {@value #MIN_INTERVALS} seconds in either run there
 * is no noise estimate and a change over {@value #FALLBACK_CHANGE} of the whole-run figure is
 * flagged instead (and the report says so). Throughput is judged in closed loop only; in open
 * loop it is set by the rate.
 */
public final class Comparison {
    static final double MIN_CHANGE = 0.05;
    static final double FALLBACK_CHANGE = 0.10;
    static final int MIN_INTERVALS = 5;
    static final double ALPHA = 0.01;

    /**
     * @param change relative change of the median per-second value (or of the whole-run figure)
     * @param pValue one-sided, NaN when there were too few intervals
     */
    public record Finding(String metric, double baseline, double current, double change, double pValue, boolean regression) {}

    private Comparison() {}

    public static List<Finding> compare(RunJson.Baseline base, RunResult run) {
        List<RunResult.Interval> a = full(base.intervals());
        List<RunResult.Interval> b = full(run.intervals());
        List<Finding> out = new ArrayList<>();
        boolean enough = a.size() >= MIN_INTERVALS && b.size() >= MIN_INTERVALS;
        out.add(finding("p50", a, b, RunResult.Interval::p50, base.p50(), run.latency().p50(), true, enough));
        out.add(finding("p99", a, b, RunResult.Interval::p99, base.p99(), run.latency().p99(), true, enough));
        if (run.spec().mode() == LoadSpec.Mode.CLOSED && base.mode().equals("closed")) {
            out.add(finding("throughput", a, b, i -> i.responses(), base.throughput(), run.throughput(), false, enough));
        }
        return out;
    }

    /** The partial last second would skew the per-second sets. */
    private static List<RunResult.Interval> full(List<RunResult.Interval> intervals) {
        return intervals.stream().filter(i -> i.responses() > 0).limit(Math.max(0, intervals.size() - 1)).toList();
    }

    private static Finding finding(String metric, List<RunResult.Interval> a, List<RunResult.Interval> b,
            ToDoubleFunction<RunResult.Interval> value, double baseWhole, double currentWhole, boolean higherIsWorse, boolean enough) {
        if (!enough) {
            double change = baseWhole == 0 ? 0 : (currentWhole - baseWhole) / baseWhole;
            boolean worse = higherIsWorse ? change > FALLBACK_CHANGE : change < -FALLBACK_CHANGE;
            return new Finding(metric, baseWhole, currentWhole, change, Double.NaN, worse);
        }
        double[] x = a.stream().mapToDouble(value).toArray();
        double[] y = b.stream().mapToDouble(value).toArray();
        double mx = median(x);
        double my = median(y);
        double change = mx == 0 ? 0 : (my - mx) / mx;
        double p = higherIsWorse ? mannWhitneyGreater(y, x) : mannWhitneyGreater(x, y);
        boolean worse = p < ALPHA && (higherIsWorse ? change > MIN_CHANGE : change < -MIN_CHANGE);
        return new Finding(metric, baseWhole, currentWhole, change, p, worse);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** One-sided p-value that values in {@code x} tend to exceed those in {@code y}. */
    static double mannWhitneyGreater(double[] x, double[] y) {
        int n1 = x.length;
        int n2 = y.length;
        int n = n1 + n2;
        double[][] all = new double[n][2];
        for (int i = 0; i < n1; i++) {
            all[i] = new double[] {x[i], 0};
        }
        for (int i = 0; i < n2; i++) {
            all[n1 + i] = new double[] {y[i], 1};
        }
        Arrays.sort(all, Comparator.comparingDouble(r -> r[0]));
        double rankSumX = 0;
        double tieTerm = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && all[j][0] == all[i][0]) {
                j++;
            }
            double rank = (i + 1 + j) / 2.0;
            for (int k = i; k < j; k++) {
                if (all[k][1] == 0) {
                    rankSumX += rank;
                }
            }
            double t = j - i;
            tieTerm += t * t * t - t;
            i = j;
        }
        double u = rankSumX - n1 * (n1 + 1) / 2.0;
        double mean = n1 * (double) n2 / 2;
        double variance = n1 * (double) n2 / 12 * ((n + 1) - tieTerm / ((double) n * (n - 1)));
        if (variance <= 0) {
            return 1;
        }
        double z = (u - mean - 0.5) / Math.sqrt(variance); // continuity correction
        return 1 - normalCdf(z);
    }

    private static double normalCdf(double z) {
        return 0.5 * (1 + erf(z / Math.sqrt(2)));
    }

    /** Abramowitz and Stegun 7.1.26; absolute error below 1.5e-7. */
    private static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
