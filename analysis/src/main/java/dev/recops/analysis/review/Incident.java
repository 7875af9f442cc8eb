package dev.recops.analysis.review;

import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Finds the incident in a timeline and says what was different about it.
 *
 * <p>Detection: each minute's p99 and error rate become robust z-scores against the baseline,
 * the first half of the period (median and MAD, scaled by 1.4826 so that a normal series has unit
 * spread; at least a tenth of the median for p99, and for the error rate at least the Poisson
 * spread of a minute's expected count, so that chance errors are no alarm): review a window that
 * starts well before the incident. A one-sided
 * CUSUM over those scores, {@code S = max(0, S + z - K)}, raises an alarm when it passes
 * {@code H}. The incident starts at the first minute of the unbroken run of minutes scoring above
 * {@code K} that raised the alarm (the onset, not the alarm; never a chance minute before a calm
 * one) and ends at the last minute still scoring above {@code K} before three calm minutes or the
 * end. A minute that breaches an objective also counts as scoring above the alarm.
 *
 * <p>Comparison (BubbleUp): the requests that went wrong inside the window (failed, with an
 * errors objective; slower than the bound, with a latency objective; without objectives,
 * either, slow meaning above the baseline's p99) against every request
 * outside it, per dimension: the value most over-represented among the bad requests, dimensions
 * ranked by how much.
 */
public final class Incident {
    static final double K = 2.0;
    static final double H = 8.0;
    static final int CALM = 3;

    /** A dimension value's share of the bad requests in the window and of all requests outside it. */
    public record Difference(String dimension, String value, double incidentShare, double baselineShare) {
        public double difference() {
            return incidentShare - baselineShare;
        }
    }

    /**
     * @param start first minute of the incident
     * @param end first minute after it
     * @param badRequests requests in the window that failed or were too slow
     * @param requests requests in the window
     * @param budgetShare the window's bad requests over the error budget of the whole period (the errors objective's
 *     share of all its requests); NaN without an errors objective
     * @param worst the minute with the highest p99 in the window
     * @param differences per dimension, its most over-represented value, the most telling dimension first
     */
    public record Found(Instant start, Instant end, long badRequests, long requests, double budgetShare, Timeline.Minute worst,
                        List<Difference> differences) {}

    private Incident() {}

    public static Optional<Found> find(Table requests, List<Timeline.Minute> minutes, List<MinuteObjective> objectives) {
        if (minutes.size() < 3) {
            return Optional.empty();
        }
        double[] p99 = minutes.stream().mapToDouble(Timeline.Minute::p99).toArray();
        double[] errors = minutes.stream().mapToDouble(Timeline.Minute::errorRate).toArray();
        // latency: a tenth of the baseline level is the least spread that counts as one unit
        double[] zp = robustZ(p99, (i, median) -> 0.1 * Math.abs(median));
        // errors: at least the Poisson spread of a minute's expected count, so chance errors do not add up
        double[] ze = robustZ(errors, (i, median) -> {
            long n = Math.max(1, minutes.get(i).requests());
            return Math.sqrt(Math.max(1, median * n)) / n;
        });
        double[] score = new double[minutes.size()];
        for (int i = 0; i < score.length; i++) {
            Timeline.Minute m = minutes.get(i);
            score[i] = Math.max(zp[i], ze[i]);
            if (objectives.stream().anyMatch(o -> !o.met(m))) {
                score[i] = Math.max(score[i], H);
            }
        }
        int alarm = -1;
        double s = 0;
        for (int i = 0; i < score.length; i++) {
            s = Math.max(0, s + score[i] - K);
            if (s > H) {
                alarm = i;
                break;
            }
        }
        if (alarm < 0) {
            return Optional.empty();
        }
        // The onset is the first minute of the run of anomalous minutes (score above K) that raised
        // the alarm. Where the CUSUM last left zero is no onset: a chance minute before the
        // incident, followed by a calm one, leaves it a hair above zero and would date the
        // incident minutes before anything happened (and before the change that caused it).
        int onset = alarm;
        while (onset > 0 && score[onset - 1] > K) {
            onset--;
        }
        int end = onset;
        int calm = 0;
        for (int i = onset; i < score.length && calm < CALM; i++) {
            if (score[i] > K) {
                end = i + 1;
                calm = 0;
            } else {
                calm++;
            }
        }
        Instant from = minutes.get(onset).start();
        Instant to = minutes.get(end - 1).start().plusSeconds(60);
        Timeline.Minute worst = minutes.subList(onset, end).stream().max(Comparator.comparingDouble(Timeline.Minute::p99)).orElseThrow();
        return Optional.of(compare(requests, minutes, objectives, from, to, worst));
    }

    /** The smallest spread that counts as one unit at point {@code i}, given the baseline's median. */
    interface Floor {
        double at(int i, double median);
    }

    static double[] robustZ(double[] x, Floor floor) {
        double[] base = Arrays.copyOf(x, Math.max(2, x.length / 2));
        Arrays.sort(base);
        double median = median(base);
        double[] dev = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            dev[i] = Math.abs(base[i] - median);
        }
        Arrays.sort(dev);
        double mad = 1.4826 * median(dev);
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double scale = Math.max(Math.max(mad, floor.at(i, median)), 1e-9);
            z[i] = (x[i] - median) / scale;
        }
        return z;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static Found compare(Table t, List<Timeline.Minute> minutes, List<MinuteObjective> objectives, Instant from, Instant to,
                                 Timeline.Minute worst) {
        long[] ts = t.longColumn("ts_ms").asLongArray();
        double[] latency = t.doubleColumn("latency_ms").asDoubleArray();
        int[] status = t.intColumn("status").asIntArray();
        // Bad means what the objectives care about: failures with an errors objective, slowness
        // with a latency one (past its bound), both without objectives (slower than the baseline's p99).
        boolean latencyObjective = objectives.stream().anyMatch(o -> o.metric() != MinuteObjective.Metric.ERRORS);
        boolean errorObjective = objectives.stream().anyMatch(o -> o.metric() == MinuteObjective.Metric.ERRORS);
        boolean countFailures = errorObjective || objectives.isEmpty();
        double slow = latencyObjective
                ? objectives.stream().filter(o -> o.metric() != MinuteObjective.Metric.ERRORS).mapToDouble(MinuteObjective::bound).min().orElseThrow()
                : objectives.isEmpty() ? baselineP99(minutes, from, to) : Double.POSITIVE_INFINITY;
        long fromMs = from.toEpochMilli();
        long toMs = to.toEpochMilli();
        boolean[] bad = new boolean[ts.length];
        boolean[] inside = new boolean[ts.length];
        long badCount = 0;
        long insideCount = 0;
        for (int i = 0; i < ts.length; i++) {
            inside[i] = ts[i] >= fromMs && ts[i] < toMs;
            boolean wrong = (countFailures && status[i] >= 500) || latency[i] > slow;
            bad[i] = inside[i] && wrong;
            insideCount += inside[i] ? 1 : 0;
            badCount += bad[i] ? 1 : 0;
        }
        long wrongInWindow = badCount;
        double budgetShare = objectives.stream().filter(o -> o.metric() == MinuteObjective.Metric.ERRORS).findFirst()
                .map(o -> o.bound() == 0 ? Double.NaN : wrongInWindow / (o.bound() * ts.length)).orElse(Double.NaN);
        List<Difference> diffs = new ArrayList<>();
        StringColumn endpoint = t.stringColumn("endpoint");
        StringColumn version = t.stringColumn("version");
        StringColumn model = t.stringColumn("model");
        IntColumn k = t.intColumn("k");
        IntColumn tokens = t.intColumn("query_tokens");
        BooleanColumn degraded = t.booleanColumn("degraded");
        diffs.add(mostDifferent("endpoint", i -> endpoint.get(i), bad, inside));
        diffs.add(mostDifferent("model version", i -> model.get(i) + " v" + version.get(i), bad, inside));
        diffs.add(mostDifferent("status", i -> String.valueOf(status[i]), bad, inside));
        diffs.add(mostDifferent("degraded", i -> String.valueOf(degraded.get(i)), bad, inside));
        diffs.add(mostDifferent("k", i -> String.valueOf(k.getInt(i)), bad, inside));
        diffs.add(mostDifferent("query tokens", i -> tokenBucket(tokens.getInt(i)), bad, inside));
        StringColumn cache = t.stringColumn("cache");
        diffs.add(mostDifferent("query cache", i -> cache.get(i).isEmpty() ? "none" : cache.get(i), bad, inside));
        diffs.removeIf(d -> d == null);
        diffs.sort(Comparator.comparingDouble(Difference::difference).reversed());
        return new Found(from, to, badCount, insideCount, budgetShare, worst, List.copyOf(diffs));
    }

    private static double baselineP99(List<Timeline.Minute> minutes, Instant from, Instant to) {
        double[] outside = minutes.stream().filter(m -> m.start().isBefore(from) || !m.start().isBefore(to)).mapToDouble(Timeline.Minute::p99)
                .sorted().toArray();
        return outside.length == 0 ? Double.POSITIVE_INFINITY : median(outside);
    }

    static String tokenBucket(int tokens) {
        if (tokens <= 0) {
            return "none";
        }
        int lo = Integer.highestOneBit(tokens);
        return lo + "-" + (2 * lo - 1);
    }

    private static Difference mostDifferent(String dimension, IntFunction<String> value, boolean[] bad, boolean[] inside) {
        Map<String, long[]> counts = new HashMap<>(); // value -> {bad in window, all outside}
        long badTotal = 0;
        long outsideTotal = 0;
        for (int i = 0; i < bad.length; i++) {
            if (bad[i]) {
                counts.computeIfAbsent(value.apply(i), v -> new long[2])[0]++;
                badTotal++;
            } else if (!inside[i]) {
                counts.computeIfAbsent(value.apply(i), v -> new long[2])[1]++;
                outsideTotal++;
            }
        }
        if (badTotal == 0) {
            return null;
        }
        Difference best = null;
        for (var e : counts.entrySet()) {
            Difference d = new Difference(dimension, e.getKey(), e.getValue()[0] / (double) badTotal,
                    outsideTotal == 0 ? 0 : e.getValue()[1] / (double) outsideTotal);
            if (best == null || d.difference() > best.difference()
                    || (d.difference() == best.difference() && d.value().compareTo(best.value()) < 0)) {
                best = d;
            }
        }
        return best;
    }
}
