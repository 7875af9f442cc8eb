import dev.recops.analysis.latency.Algorithm;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Observation;
import dev.recops.analysis.latency.Target;
import dev.recops.analysis.latency.Trainer;
import dev.recops.analysis.latency.TrainingData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Issue 18's judgement of a latency model on configurations it never saw: trains on the training
 * runs (scripts/bench/pinned-truth.sh's runs.csv and capacity.csv of the training configurations)
 * with the profile, then predicts every point of the held-out runs and prints each beside the
 * median and the spread of its repeats, the MAPE per target over the points at most 85% of
 * capacity, how many fell inside the 80% intervals, and max throughput against capacity.txt (the
 * median of the find-max-rate searches), for each algorithm asked. First, the truth's own noise:
 * the MAPE a perfect model would still show against the median of the repeats, from how much the
 * repeats spread (a median of three misses the true value by 0.67 of one repeat's standard
 * deviation, and a normal error's mean absolute size is 0.80 of its standard deviation: 0.54 of
 * sigma in all).
 *
 * With INSTANCE_RUNS="FILE..." (scripts/bench/instance-noise.sh's instance-N.csv, one per server
 * start), also the noise between server starts, which repeats on one server cannot show, and the
 * MAPE a perfect model of a server it did not see start would still show.
 *
 * With MAX_RATE=FILE (pinned-truth.sh's max-rate.txt: "CONFIG SLO RATE..."), also {@code solve
 * max-rate}'s answer for each line against the measured highest rate meeting the objective (the
 * median of its searches): within 15% below it is the issue's bar.
 *
 * Usage: java -cp 'cli/target/recops/lib/*' scripts/bench/LatencyJudge.java \
 *          TRAIN_RUNS.csv TRAIN_CAPACITY.csv PROFILE.csv HELD_RUNS.csv CAPACITY.txt [ALGO...]
 * e.g. with testdata/latency/pinned/{train-runs,train-capacity,profile,held-runs}.csv and capacity.txt
 */
public class LatencyJudge {
    public static void main(String[] args) throws Exception {
        List<String> algos = args.length > 5 ? List.of(args).subList(5, args.length) : List.of("auto", "simulation", "queue", "ensemble");
        TrainingData train = TrainingData.read(List.of(Path.of(args[0]), Path.of(args[1])), Optional.empty()).withProfile(Path.of(args[2]));
        TrainingData held = TrainingData.read(List.of(Path.of(args[3])), Optional.empty());
        Map<String, List<double[]>> repeats = repeats(Path.of(args[3]));
        Map<String, Double> capacity = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(args[4]))) {
            String[] f = line.trim().split("\\s+");
            if (held.observations().stream().anyMatch(o -> key(o.config()).equals(f[0]))) {
                capacity.put(f[0], Double.parseDouble(f[1]));
            }
        }
        double[] floor = new double[2];
        int points = 0;
        for (Observation o : held.observations()) {
            String cfg = key(o.config());
            List<double[]> r = repeats.get(cfg + "@" + num(o.query().rate()));
            if (o.query().rate() <= 0.85 * capacity.getOrDefault(cfg, Double.NaN) && r.size() > 1) {
                for (int t = 0; t < 2; t++) {
                    final int target = t;
                    floor[t] += Math.max(0, smile.math.MathEx.var(r.stream().mapToDouble(x -> Math.log(x[target])).toArray()));
                }
                points++;
            }
        }
        int perPoint = repeats.values().stream().mapToInt(List::size).min().orElse(1);
        // the standard deviation of a median of n normal draws, in units of one draw's: exact for 1..3, asymptotic above
        double median = perPoint == 1 ? 1 : perPoint == 2 ? Math.sqrt(0.5) : perPoint == 3 ? 0.670 : Math.sqrt(Math.PI / (2 * perPoint));
        double sigma50 = Math.sqrt(floor[0] / points);
        double sigma99 = Math.sqrt(floor[1] / points);
        System.out.printf(Locale.ROOT, "the truth's noise over %d held-out points (at least %d repeats each): one repeat's log spread p50 %.3f, "
                + "p99 %.3f; a perfect model would still show MAPE of about p50 %.1f%%, p99 %.1f%% against their medians%n", points, perPoint,
                sigma50, sigma99, 100 * 0.798 * median * sigma50, 100 * 0.798 * median * sigma99);
        String instanceRuns = System.getenv("INSTANCE_RUNS");
        if (instanceRuns != null) {
            double[] between = betweenStarts(Arrays.stream(instanceRuns.trim().split("\\s+")).map(Path::of).toList());
            double sd50 = Math.sqrt(between[0] + Math.pow(median * sigma50, 2));
            double sd99 = Math.sqrt(between[1] + Math.pow(median * sigma99, 2));
            System.out.printf(Locale.ROOT, "between server starts (%s): log spread p50 %.3f, p99 %.3f; a perfect model of a server it did not see "
                    + "start would show MAPE of about p50 %.1f%%, p99 %.1f%% against one start's medians%n", instanceRuns, Math.sqrt(between[0]),
                    Math.sqrt(between[1]), 100 * 0.798 * sd50, 100 * 0.798 * sd99);
        }
        java.util.logging.LogManager.getLogManager().reset(); // Smile logs every tree
        for (String algo : algos) {
            long t0 = System.nanoTime();
            LatencyModel m;
            try {
                m = Trainer.train(train, algo.equals("auto") ? Optional.empty() : Optional.of(Algorithm.parse(algo)), 5);
            } catch (RuntimeException e) {
                System.out.printf("%n== %s: %s%n", algo, e.getMessage());
                continue;
            }
            System.out.printf(Locale.ROOT, "%n== %s (trained in %.1f s; chosen: %s)%n", algo, (System.nanoTime() - t0) / 1e9,
                    m.reports().stream().map(r -> r.target().label() + " " + r.chosen().label + String.format(Locale.ROOT, " (CV %.1f%%)",
                            r.chosenScore().mape())).toList());
            System.out.println("| config | rate/s | share of capacity | p50 measured (min..max) | p50 predicted [80%] | p99 measured (min..max) | p99 predicted [80%] |");
            System.out.println("|---|---|---|---|---|---|---|");
            double e50 = 0;
            double e99 = 0;
            int n = 0;
            int in50 = 0;
            int in99 = 0;
            double w50 = 0;
            double w99 = 0;
            for (Observation o : held.observations()) {
                String cfg = key(o.config());
                double cap = capacity.getOrDefault(cfg, Double.NaN);
                var p = m.predict(o.query());
                List<double[]> r = repeats.get(cfg + "@" + num(o.query().rate()));
                double[] s = {r.stream().mapToDouble(x -> x[0]).min().orElseThrow(), r.stream().mapToDouble(x -> x[0]).max().orElseThrow(),
                        r.stream().mapToDouble(x -> x[1]).min().orElseThrow(), r.stream().mapToDouble(x -> x[1]).max().orElseThrow()};
                var i50 = p.interval(Target.P50);
                var i99 = p.interval(Target.P99);
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f%% | %.1f (%.1f..%.1f) | %.1f [%.1f..%.1f] | %.1f (%.1f..%.1f) | %.1f [%.1f..%.1f] |%n", cfg,
                        num(o.query().rate()), 100 * o.query().rate() / cap, o.p50(), s[0], s[1], p.p50(), i50.low(), i50.high(), o.p99(), s[2], s[3],
                        p.p99(), i99.low(), i99.high());
                if (o.query().rate() <= 0.85 * cap) {
                    e50 += Math.abs(p.p50() - o.p50()) / o.p50();
                    e99 += Math.abs(p.p99() - o.p99()) / o.p99();
                    in50 += i50.contains(o.p50()) ? 1 : 0;
                    in99 += i99.contains(o.p99()) ? 1 : 0;
                    w50 = Math.max(w50, i50.high() / i50.low());
                    w99 = Math.max(w99, i99.high() / i99.low());
                    n++;
                }
            }
            System.out.printf(Locale.ROOT, "held-out MAPE over %d points at most 85%% of capacity: p50 %.1f%%, p99 %.1f%%; inside the 80%% interval: "
                    + "p50 %d/%d, p99 %d/%d; widest interval high/low: p50 x%.2f, p99 x%.2f%n", n, 100 * e50 / n, 100 * e99 / n, in50, n, in99, n,
                    w50, w99);
            double eMax = 0;
            for (var e : capacity.entrySet()) {
                Observation any = held.observations().stream().filter(o -> key(o.config()).equals(e.getKey())).findFirst().orElseThrow();
                double predicted = m.predict(any.query()).maxThroughput();
                eMax += Math.abs(predicted - e.getValue()) / e.getValue();
                System.out.printf(Locale.ROOT, "max throughput %s: measured %.0f/s (median of find-max-rate), predicted %.0f/s (%+.0f%%)%n", e.getKey(),
                        e.getValue(), predicted, 100 * (predicted / e.getValue() - 1));
            }
            System.out.printf(Locale.ROOT, "max throughput MAPE %.1f%%%n", 100 * eMax / capacity.size());
            String maxRates = System.getenv("MAX_RATE");
            if (maxRates != null) {
                for (String line : Files.readAllLines(Path.of(maxRates))) {
                    String[] f = line.trim().split("\\s+");
                    double[] found = Arrays.stream(f, 2, f.length).filter(x -> !x.equals("none")).mapToDouble(Double::parseDouble).sorted().toArray();
                    Observation any = held.observations().stream().filter(o -> key(o.config()).equals(f[0])).findFirst().orElseThrow();
                    var slo = List.of(dev.recops.analysis.latency.LatencyObjective.parse(f[1]));
                    double answer = m.maxRate(any.query(), slo, true).orElse(Double.NaN);
                    double edge = m.maxRate(any.query(), slo, false).orElse(Double.NaN);
                    double measured = found.length == 0 ? Double.NaN : found[(found.length - 1) / 2];
                    System.out.printf(Locale.ROOT, "solve max-rate %s %s: answer %.1f/s (edge %.1f/s), measured %.1f/s (%s): answer/measured %.2f%s%n",
                            f[0], f[1], answer, edge, measured, Arrays.toString(found), answer / measured,
                            answer <= measured && answer >= 0.85 * measured ? " (within 15%, safe side)" : "");
                }
            }
        }
    }

    static String key(Config c) {
        return c.batchMax() + "/" + c.workers() + "/" + c.threads();
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    /** Per config@rate: the repeats' p50 and p99. */
    /**
     * The variance of log p50 and log p99 between server starts, {p50, p99}: each file one start
     * (scripts/bench/instance-noise.sh), its repeats at each configuration and rate averaged in log;
     * the variance of those means over the starts, less what the repeats' own spread puts into a
     * mean of that many (never below zero), pooled over the configurations and rates.
     */
    static double[] betweenStarts(List<Path> starts) throws Exception {
        Map<String, List<double[]>> means = new HashMap<>(); // point -> per start {mean log p50, mean log p99}
        double[] within = new double[2];
        int withinDf = 0;
        int perStart = Integer.MAX_VALUE;
        for (Path start : starts) {
            for (var e : repeats(start).entrySet()) {
                List<double[]> r = e.getValue();
                double[] mean = new double[2];
                for (int t = 0; t < 2; t++) {
                    final int target = t;
                    double[] logs = r.stream().mapToDouble(x -> Math.log(x[target])).toArray();
                    mean[t] = Arrays.stream(logs).average().orElseThrow();
                    within[t] += Arrays.stream(logs).map(v -> (v - mean[target]) * (v - mean[target])).sum();
                }
                withinDf += r.size() - 1;
                perStart = Math.min(perStart, r.size());
                means.computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>()).add(mean);
            }
        }
        double[] between = new double[2];
        int points = 0;
        for (List<double[]> m : means.values()) {
            if (m.size() < 2) {
                continue;
            }
            for (int t = 0; t < 2; t++) {
                final int target = t;
                between[t] += smile.math.MathEx.var(m.stream().mapToDouble(x -> x[target]).toArray());
            }
            points++;
        }
        for (int t = 0; t < 2; t++) {
            double repeatVar = withinDf > 0 ? within[t] / withinDf : 0;
            between[t] = points == 0 ? 0 : Math.max(0, between[t] / points - repeatVar / perStart);
        }
        return between;
    }

    static Map<String, List<double[]>> repeats(Path runs) throws Exception {
        List<String> lines = Files.readAllLines(runs);
        List<String> h = Arrays.asList(lines.getFirst().split(","));
        Map<String, List<double[]>> out = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            String k = f[h.indexOf("batch_max")] + "/" + f[h.indexOf("workers")] + "/" + f[h.indexOf("threads")] + "@" + f[h.indexOf("rate")];
            out.computeIfAbsent(k, x -> new java.util.ArrayList<>())
                    .add(new double[] {Double.parseDouble(f[h.indexOf("p50_ms")]), Double.parseDouble(f[h.indexOf("p99_ms")])});
        }
        return out;
    }
}
