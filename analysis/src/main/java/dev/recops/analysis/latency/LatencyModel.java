package dev.recops.analysis.latency;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A trained latency model: a predictor per target, and everything needed to say what it was
 * trained on. Saved as a directory: {@code model.json} describes it (features and their ranges,
 * targets with their cross-validated errors and algorithm, training date, data hash) for people
 * and tools; {@code model.ser} holds the fitted predictors (Java serialization, read back under a
 * filter that admits only recops, Smile and JDK classes).
 */
@SuppressWarnings("serial") // List and Map fields hold List.copyOf / EnumMap / Map.of: all serializable
public final class LatencyModel implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DESCRIPTION = "model.json";
    public static final String PREDICTORS = "model.ser";
    private static final int FORMAT = 4; // 4: the work around the batcher is CPU per request, a background and a time per request
    /** The z of a central 80% interval under a normal error of the log. */
    static final double Z80 = 1.2816;

    /** How the queueing model fitted, when one was chosen: service-time kind, its CV MAPE, the batch size β at which calls split in two. */
    public record QueueFacts(String serviceTime, double serviceTimeMape, double splitBatch) implements Serializable {}

    /**
     * How the simulation was calibrated, when it was chosen: the profile's CPUs and cross-validated
     * MAPE, and the work around the batcher it simulated.
     *
     * @param outsideMillis the server's CPU per request outside the model's calls; without it measured, the time per request
     *     outside the batcher that max throughput implies
     * @param backgroundMillis the server's CPU per second outside the calls whatever the rate (0 when not measured)
     * @param outsideLatencyMillis mean time a request spends outside the batcher (NaN when not measured)
     */
    public record SimulationFacts(int profileCpus, double profileMape, double outsideMillis, double backgroundMillis, double outsideLatencyMillis)
            implements Serializable {
        public boolean measured() {
            return !Double.isNaN(outsideLatencyMillis);
        }
    }

    /** A prediction interval: between {@code low} and {@code high} eight times in ten. */
    public record Interval(double low, double high) {
        static final Interval NONE = new Interval(Double.NaN, Double.NaN);

        public boolean contains(double v) {
            return v >= low && v <= high;
        }
    }

    /** A feature's range in the training data. */
    public record Range(double min, double max) implements Serializable {
        boolean contains(double v) {
            return v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
        }
    }

    /**
     * What the model predicts for one query.
     *
     * @param maxThroughput requests per second one replica sustains at most
     * @param utilisation offered rate / max throughput; at or above 1 the latencies do not hold
     * @param intervals each target's central 80% prediction interval, {low, high} (see {@link #interval})
     */
    public record Prediction(double p50, double p95, double p99, double maxThroughput, double utilisation, Map<Target, Interval> intervals) {
        public boolean sustainable() {
            return utilisation < 1;
        }

        /** A target's 80% interval; NaN ends when the model has no such target. */
        public Interval interval(Target t) {
            return intervals.getOrDefault(t, Interval.NONE);
        }

        public double latency(Target t) {
            return switch (t) {
                case P50 -> p50;
                case P95 -> p95;
                case P99 -> p99;
                case MAX_THROUGHPUT -> maxThroughput;
            };
        }
    }

    private final int format = FORMAT;
    private final String trainedAt;
    private final String dataSha256;
    private final List<String> files;
    private final int runs;
    private final int observations;
    private final List<String> skipped;
    private final List<String> models;
    private final int configurations;
    private final Map<Feature, Range> ranges;
    private final Map<Feature, Double> defaults;
    private final Map<Target, Trainer.TargetReport> reports;
    private final Map<Target, Predictor> predictors;
    private final QueueFacts queue;
    private final SimulationFacts simulation;
    /** The call-time profile it was trained with: what the machine did then ({@code predict-latency --check}); null without one. */
    private final CallTimeModel callTimes;

    LatencyModel(String trainedAt, TrainingData data, Map<Target, Trainer.TargetReport> reports, Map<Target, Predictor> predictors,
                 Optional<QueueFacts> queue, Optional<SimulationFacts> simulation) {
        this.trainedAt = trainedAt;
        this.dataSha256 = data.sha256();
        this.files = data.files().stream().map(p -> p.getFileName().toString()).toList();
        this.runs = data.runs();
        this.observations = data.observations().size();
        this.skipped = List.copyOf(data.skipped());
        this.models = data.observations().stream().map(o -> o.config().model() + (o.config().version().isEmpty() ? "" : " v" + o.config().version()))
                .distinct().sorted().toList();
        this.configurations = Samples.byConfig(data.observations()).size();
        this.ranges = new EnumMap<>(Feature.class);
        this.defaults = new EnumMap<>(Feature.class);
        for (Feature f : Feature.values()) {
            double[] v = data.observations().stream().mapToDouble(o -> o.query().feature(f)).filter(Double::isFinite).toArray();
            if (v.length > 0) {
                ranges.put(f, new Range(Arrays.stream(v).min().orElseThrow(), Arrays.stream(v).max().orElseThrow()));
                defaults.put(f, f == Feature.QUERY_TOKENS || f == Feature.RATE ? Arrays.stream(v).average().orElseThrow() : mode(v));
            }
        }
        this.reports = new EnumMap<>(reports);
        this.predictors = new EnumMap<>(predictors);
        this.queue = queue.orElse(null);
        this.simulation = simulation.orElse(null);
        this.callTimes = data.profile();
    }

    private static double mode(double[] v) {
        Map<Double, Long> counts = Arrays.stream(v).boxed().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        return counts.entrySet().stream().max(Map.Entry.<Double, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .orElseThrow().getKey();
    }

    public String trainedAt() {
        return trainedAt;
    }

    public String dataSha256() {
        return dataSha256;
    }

    public List<String> models() {
        return models;
    }

    /** Runs (and access-log minutes) read, before repeats were merged into {@link #observations}. */
    public int runs() {
        return runs;
    }

    public int observations() {
        return observations;
    }

    public int configurations() {
        return configurations;
    }

    public List<String> skipped() {
        return skipped;
    }

    public Map<Feature, Range> ranges() {
        return ranges;
    }

    /** The most common value of each configuration feature in the training data (the mean for tokens and rate). */
    public double defaultOf(Feature f) {
        return defaults.getOrDefault(f, Double.NaN);
    }

    /** The settings most common in the training data, at its mean rate and query tokens: what a question that names no setting is about. */
    public Query defaultQuery() {
        Config config = new Config("", "", (int) defaultOf(Feature.BATCH_MAX), defaultOf(Feature.BATCH_DELAY_MS), (int) defaultOf(Feature.WORKERS),
                (int) defaultOf(Feature.THREADS))
                .with(Feature.CATALOG_PRODUCTS, defaultOf(Feature.CATALOG_PRODUCTS)).with(Feature.HNSW, defaultOf(Feature.HNSW))
                .with(Feature.CPUS, defaultOf(Feature.CPUS));
        return new Query(config, defaultOf(Feature.RATE), defaultOf(Feature.QUERY_TOKENS));
    }

    public List<Trainer.TargetReport> reports() {
        return List.copyOf(reports.values());
    }

    public Optional<QueueFacts> queue() {
        return Optional.ofNullable(queue);
    }

    public Optional<SimulationFacts> simulation() {
        return Optional.ofNullable(simulation);
    }

    /** The call-time profile the model was trained with (the machine as it was then); empty when it was trained without one. */
    public Optional<CallTimeModel> callTimes() {
        return Optional.ofNullable(callTimes);
    }

    public Prediction predict(Query q) {
        Map<Target, Double> values = new EnumMap<>(Target.class);
        Map<Target, Interval> intervals = new EnumMap<>(Target.class);
        predictors.forEach((t, p) -> {
            double v = p.predict(q);
            values.put(t, v);
            intervals.put(t, interval(t, p, q, v));
        });
        double p50 = values.getOrDefault(Target.P50, Double.NaN);
        double p95 = Math.max(p50, values.getOrDefault(Target.P95, Double.NaN));
        double p99 = Math.max(p95, values.getOrDefault(Target.P99, Double.NaN));
        double max = values.getOrDefault(Target.MAX_THROUGHPUT, Double.NaN);
        return new Prediction(p50, p95, p99, max, Double.isNaN(max) ? Double.NaN : q.rate() / max, intervals);
    }

    private double value(Target t, Query q) {
        Predictor p = predictors.get(t);
        return p == null ? Double.NaN : p.predict(q);
    }

    /** One line per feature of the query outside what the model was trained on. */
    public List<String> outOfRange(Query q) {
        List<String> out = new ArrayList<>();
        for (var e : ranges.entrySet()) {
            double v = q.feature(e.getKey());
            if (Double.isFinite(v) && !e.getValue().contains(v)) {
                out.add(String.format(Locale.ROOT, "%s %s is outside the training range %s..%s", e.getKey().column, Num.format(v),
                        Num.format(e.getValue().min()), Num.format(e.getValue().max())));
            }
        }
        return out;
    }

    /**
     * How far above its prediction a target's truth may typically lie: the upper width of the 80%
     * interval from the cross-validated error alone, as a fraction (0 when unknown).
     */
    public double typicalError(Target t) {
        return Math.exp(cvHalfWidth(t)) - 1;
    }

    /**
     * The log half-width of the 80% interval from the cross-validated errors: their conformal
     * quantile; {@code 1.28·logRmse} for a model saved before it was kept; 0 when unknown.
     */
    private double cvHalfWidth(Target t) {
        Trainer.TargetReport r = reports.get(t);
        if (r == null) {
            return 0;
        }
        Trainer.Score s = r.chosenScore();
        double e = s.halfWidth80() > 0 ? s.halfWidth80() : Z80 * s.logRmse();
        return Double.isFinite(e) ? e : 0;
    }

    /**
     * The central 80% prediction interval of a target at a query, {low, high}: the prediction
     * times {@code exp(±w)}, {@code w} the conformal 80% quantile of the cross-validated log errors
     * ({@link Trainer.Score#halfWidth80}) combined with the model's own spread there (1.28 times the
     * simulation's standard deviation over seeds) in quadrature. NaN ends when the model has no
     * such target.
     */
    public Interval interval(Target t, Query q) {
        Predictor p = predictors.get(t);
        return p == null ? Interval.NONE : interval(t, p, q, p.predict(q));
    }

    /** @param v {@code p}'s prediction at {@code q} */
    private Interval interval(Target t, Predictor p, Query q, double v) {
        double w = Math.hypot(cvHalfWidth(t), Z80 * p.spread(q));
        return new Interval(v * Math.exp(-w), v * Math.exp(w));
    }

    /**
     * The highest rate one replica sustains with every objective met: below its max throughput,
     * scanning up from zero to the first rate that breaks an objective. Empty when none holds
     * even at the lowest rate.
     *
     * @param margin when true, the top of each objective's target's 80% interval must meet it (a
     *     plan on the low end): near the knee a configuration's tail is a coin toss from run to
     *     run, and the edge the model sees is uncertain by about that much
     */
    public Optional<Double> maxRate(Query config, List<LatencyObjective> objectives, boolean margin) {
        return maxRate(config, objectives, margin ? 1 : 0);
    }

    /**
     * The max rate at either end of the prediction intervals: the low end where the top of each
     * interval meets the objectives (what {@code maxRate(.., true)} answers), the high end where
     * the bottom does.
     *
     * @return {low, high}; an end is NaN where no rate meets the objectives
     */
    public double[] maxRateInterval(Query config, List<LatencyObjective> objectives) {
        return new double[] {maxRate(config, objectives, 1).orElse(Double.NaN), maxRate(config, objectives, -1).orElse(Double.NaN)};
    }

    /** @param side +1 judges the top of each interval, -1 its bottom, 0 the prediction */
    private Optional<Double> maxRate(Query config, List<LatencyObjective> objectives, int side) {
        double cap = value(Target.MAX_THROUGHPUT, config.withRate(1));
        if (!Double.isFinite(cap)) {
            cap = ranges.getOrDefault(Feature.RATE, new Range(0, 1000)).max();
        }
        int steps = 400;
        double step = cap / steps;
        double good = 0;
        for (int i = 1; i < steps; i++) {
            double r = i * step;
            if (!meets(config.withRate(r), objectives, side)) {
                double lo = good;
                double hi = r;
                for (int k = 0; k < 30 && lo > 0; k++) {
                    double mid = (lo + hi) / 2;
                    if (meets(config.withRate(mid), objectives, side)) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                return good == 0 ? Optional.empty() : Optional.of(lo);
            }
            good = r;
        }
        return Optional.of(good);
    }

    private boolean meets(Query q, List<LatencyObjective> objectives, int side) {
        Prediction p = predict(q);
        if (!p.sustainable() && Double.isFinite(p.utilisation())) {
            return false;
        }
        return objectives.stream().allMatch(o -> side == 0 ? o.met(p)
                : (side > 0 ? p.interval(o.target()).high() : p.interval(o.target()).low()) <= o.maxMillis());
    }

    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            try (OutputStream out = Files.newOutputStream(dir.resolve(PREDICTORS)); ObjectOutputStream oos = new ObjectOutputStream(out)) {
                oos.writeObject(this);
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(DESCRIPTION).toFile(), describe());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model to " + dir + ": " + e.getMessage(), e);
        }
    }

    public static LatencyModel load(Path dir) {
        Path file = dir.resolve(PREDICTORS);
        ObjectInputFilter filter = ObjectInputFilter.Config.createFilter(
                "maxdepth=200;java.base/*;dev.recops.analysis.latency.*;smile.**;!*");
        try (InputStream in = Files.newInputStream(file); ObjectInputStream ois = new ObjectInputStream(in)) {
            ois.setObjectInputFilter(filter);
            LatencyModel m = (LatencyModel) ois.readObject();
            if (m.format != FORMAT) {
                throw AnalysisException.invalid(dir + " was saved in format " + m.format + "; this recops reads " + FORMAT + ": train again");
            }
            return m;
        } catch (NoSuchFileException e) {
            throw AnalysisException.missing(dir + " is not a latency model (no " + PREDICTORS + "): make one with recops train");
        } catch (InvalidClassException | ClassNotFoundException | ClassCastException e) {
            throw AnalysisException.invalid(file + " is not a latency model this recops can read (" + e.getMessage() + "): train again");
        } catch (IOException e) {
            throw AnalysisException.invalid(file + " cannot be read as a latency model (" + e.getMessage() + "): train again");
        }
    }

    /** The self-description written as {@code model.json}. */
    public ObjectNode describe() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("kind", "recops-latency-model").put("format", FORMAT).put("trained_at", trainedAt);
        ObjectNode data = root.putObject("data");
        data.put("sha256", dataSha256).put("runs", runs).put("observations", observations).put("configurations", configurations);
        files.forEach(data.withArray("files")::add);
        models.forEach(data.withArray("models")::add);
        data.put("skipped_rows", skipped.size());
        ObjectNode features = root.putObject("features");
        for (Feature f : Feature.values()) {
            ObjectNode n = features.putObject(f.column).put("meaning", f.meaning);
            Optional.ofNullable(ranges.get(f)).ifPresent(r -> n.put("min", r.min()).put("max", r.max()));
            Optional.ofNullable(defaults.get(f)).ifPresent(d -> put(n, "default", d));
        }
        ObjectNode targets = root.putObject("targets");
        for (Trainer.TargetReport r : reports.values()) {
            ObjectNode n = targets.putObject(r.target().column());
            n.put("algorithm", r.chosen().label).put("samples", r.samples()).put("configurations", r.configurations());
            ObjectNode cv = n.putObject("cross_validation");
            for (Trainer.Score s : r.scores()) {
                ObjectNode a = cv.putObject(s.algorithm().label);
                if (s.usable()) {
                    put(a, "mape_pct", s.mape());
                    put(a, "log_rmse", s.logRmse());
                    put(a, "interval80_width_ratio", s.widthRatio80());
                    put(a, "interval80_coverage", s.coverage80());
                    put(a, "rmse", s.rmse());
                    put(a, "r2", s.r2());
                    a.put("n", s.n());
                } else {
                    a.put("unavailable", s.failure());
                }
            }
            ObjectNode imp = n.putObject("importance_mape_pct");
            r.importance().forEach(i -> put(imp, i.feature().column, i.mapeIncrease()));
        }
        if (queue != null) {
            ObjectNode q = root.putObject("queue").put("service_time", queue.serviceTime());
            put(q, "service_time_cv_mape_pct", queue.serviceTimeMape());
            put(q, "split_batch", queue.splitBatch());
        }
        if (simulation != null) {
            ObjectNode n = root.putObject("simulation").put("profile_cpus", simulation.profileCpus());
            put(n, "profile_cv_mape_pct", 100 * simulation.profileMape());
            put(n, "outside_ms_per_request", simulation.outsideMillis());
            put(n, "background_cpu_ms_per_second", simulation.backgroundMillis());
            put(n, "outside_latency_ms", simulation.outsideLatencyMillis());
        }
        return root;
    }

    /** JSON has no NaN: what is unknown is null. */
    private static void put(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, Math.round(v * 1000) / 1000.0);
        } else {
            n.putNull(key);
        }
    }
}
