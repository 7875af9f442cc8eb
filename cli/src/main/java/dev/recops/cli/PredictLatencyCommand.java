package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.Feature;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Objective;
import dev.recops.analysis.latency.Query;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code recops predict-latency}: ask a trained latency model, and plan capacity with it. */
@Command(
        name = "predict-latency",
        mixinStandardHelpOptions = true,
        description = {
            "Predict p50/p95/p99 latency and utilisation for a rate and serving configuration from a model made by recops train; "
                    + "or solve for the highest sustainable rate (--solve max-rate) or the replicas a rate needs (--solve replicas) "
                    + "under latency objectives.",
            "%nSettings not given take the value most common in the training data. A query outside the ranges the model was "
                    + "trained on gets a warning (exit 3 with --strict): a model is only as good as the data it saw.",
            ""
        })
final class PredictLatencyCommand implements Callable<Integer> {
    enum Solve { none, max_rate, replicas }

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "A model directory written by recops train -o.")
    Path modelDir;

    @Option(names = "--rate", paramLabel = "PER_SECOND", description = "Requests per second offered (to all replicas together).")
    Double rate;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Replicas sharing --rate evenly, for a prediction (default: ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--batch-max", paramLabel = "N", description = "Texts per model call at most.")
    Integer batchMax;

    @Option(names = "--batch-delay", paramLabel = "DURATION", converter = DurationConverter.class, description = "Longest wait for a batch to fill.")
    Duration batchDelay;

    @Option(names = "--workers", paramLabel = "N", description = "Concurrent model calls per replica.")
    Integer workers;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads per model call.")
    Integer threads;

    @Option(names = "--tokens", paramLabel = "N", description = "Mean tokens per query (default: the training data's mean).")
    Double tokens;

    @Option(names = "--catalog-products", paramLabel = "N", description = "Products in the served catalog (default: the training data's "
            + "most common; the model uses it only when its data varied it).")
    Integer catalogProducts;

    @Option(names = "--index", paramLabel = "KIND", description = "exact or hnsw: how the catalog is searched (default: the training "
            + "data's most common; used only when the data varied it).")
    String index;

    @Option(names = "--solve", paramLabel = "WHAT", converter = SolveConverter.class, defaultValue = "none",
            description = "max-rate: the highest rate one replica sustains within --slo; replicas: how many replicas --rate needs "
                    + "within --slo, keeping --headroom (default: ${DEFAULT-VALUE}).")
    Solve solve;

    @Option(names = "--slo", paramLabel = "OBJECTIVE", description = "A latency objective such as p99<=50ms (p50, p95, p99); repeatable.")
    List<String> slo = new ArrayList<>();

    @Option(names = "--headroom", paramLabel = "FRACTION", defaultValue = "0.3",
            description = "With --solve replicas: the share of each replica's max sustainable rate kept free for spikes and a "
                    + "failed replica's load (default: ${DEFAULT-VALUE}).")
    double headroom;

    @Option(names = "--strict", description = "Exit 3 when the query is outside the training ranges.")
    boolean strict;

    @Option(names = "--no-margin",
            description = "With --solve: give the bare edge the model sees. By default each objective must hold with the model's "
                    + "cross-validated error to spare, so the answer survives the model's typical miss.")
    boolean noMargin;

    static final class SolveConverter implements picocli.CommandLine.ITypeConverter<Solve> {
        @Override
        public Solve convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "none" -> Solve.none;
                case "max-rate" -> Solve.max_rate;
                case "replicas" -> Solve.replicas;
                default -> throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not max-rate or replicas");
            };
        }
    }

    @Override
    public Integer call() {
        List<Objective> objectives = slo.stream().map(Objective::parse).toList();
        if (solve != Solve.none && objectives.isEmpty()) {
            throw AnalysisException.invalid("--solve needs at least one --slo, such as --slo 'p99<=50ms'");
        }
        if (solve != Solve.max_rate && rate == null) {
            throw AnalysisException.invalid("give --rate (or --solve max-rate)");
        }
        if (rate != null && !(rate > 0)) {
            throw AnalysisException.invalid("--rate must be above 0, not " + rate);
        }
        if (replicas < 1) {
            throw AnalysisException.invalid("--replicas must be at least 1, not " + replicas);
        }
        if (!(headroom >= 0 && headroom < 1)) {
            throw AnalysisException.invalid("--headroom must be in 0..1 (a fraction), not " + headroom);
        }
        LatencyModel model = LatencyModel.load(modelDir);
        if (index != null && !index.equals("exact") && !index.equals("hnsw")) {
            throw AnalysisException.invalid("--index must be exact or hnsw, not " + index);
        }
        if (catalogProducts != null && catalogProducts < 1) {
            throw AnalysisException.invalid("--catalog-products must be at least 1");
        }
        Config config = new Config("", "", batchMax != null ? batchMax : (int) model.defaultOf(Feature.BATCH_MAX),
                batchDelay != null ? batchDelay.toNanos() / 1e6 : model.defaultOf(Feature.BATCH_DELAY_MS),
                workers != null ? workers : (int) model.defaultOf(Feature.WORKERS), threads != null ? threads : (int) model.defaultOf(Feature.THREADS))
                .with(Feature.CATALOG_PRODUCTS, catalogProducts != null ? catalogProducts : model.defaultOf(Feature.CATALOG_PRODUCTS))
                .with(Feature.HNSW, index != null ? (index.equals("hnsw") ? 1 : 0) : model.defaultOf(Feature.HNSW));
        if (config.batchMax() < 1 || config.workers() < 1 || config.threads() < 1) {
            throw AnalysisException.invalid("--batch-max, --workers and --threads must be at least 1");
        }
        double perReplica = rate == null ? Double.NaN : solve == Solve.replicas ? rate : rate / replicas;
        Query query = new Query(config, rate == null ? model.defaultOf(Feature.RATE) : perReplica,
                tokens != null ? tokens : model.defaultOf(Feature.QUERY_TOKENS));

        ObjectNode json = new ObjectMapper().createObjectNode();
        PrintWriter out = spec.commandLine().getOut();
        boolean text = !output.json();
        ObjectNode cfg = json.putObject("config").put("batch_max", config.batchMax()).put("batch_delay_ms", config.batchDelayMillis())
                .put("workers", config.workers()).put("threads", config.threads()).put("catalog_products", config.catalogProducts())
                .put("index", config.index());
        put(cfg, "query_tokens", query.queryTokens());
        if (text) {
            out.printf(Locale.ROOT, "recops predict-latency: %s, %s, %.1f tokens per query (model trained %s on data %s)%n",
                    String.join(", ", model.models()), config.describe(), query.queryTokens(), model.trainedAt(), model.dataSha256().substring(0, 12));
        }
        boolean failed = false;
        switch (solve) {
            case none -> {
                cfg.put("rate", rate).put("replicas", replicas).put("rate_per_replica", round(perReplica));
                LatencyModel.Prediction p = model.predict(query);
                put(json.putObject("prediction"), p);
                if (text) {
                    out.printf(Locale.ROOT, "  at %s/s per replica%s%n", fmt(perReplica), replicas > 1 ? " (" + fmt(rate) + "/s over " + replicas + " replicas)" : "");
                    printPrediction(out, p);
                }
                if (!p.sustainable()) {
                    failed = !objectives.isEmpty();
                    warn(json, text, String.format(Locale.ROOT, "utilisation %.2f: the offered rate exceeds what a replica sustains (%s/s); "
                            + "queues grow until requests are shed, and these latencies do not hold", p.utilisation(), fmt(p.maxThroughput())));
                }
                for (Objective o : objectives) {
                    boolean met = o.met(p) && p.sustainable();
                    failed |= !met;
                    json.withArray("objectives").addObject().put("objective", o.toString()).put("met", met);
                    if (text) {
                        out.printf(Locale.ROOT, "  objective  %s %s%n", o, met ? "met" : "NOT met");
                    }
                }
            }
            case max_rate -> {
                Optional<Double> max = model.maxRate(query, objectives, !noMargin);
                ObjectNode s = json.putObject("max_rate").put("objectives", objectives.toString());
                margins(s, model, objectives);
                if (max.isEmpty()) {
                    failed = true;
                    s.putNull("rate_per_replica");
                    if (text) {
                        out.printf(Locale.ROOT, "  max rate   none: %s is not met even at the lowest rate%n", objectives);
                    }
                } else {
                    LatencyModel.Prediction p = model.predict(query.withRate(max.get()));
                    query = query.withRate(max.get());
                    put(s, "rate_per_replica", max.get());
                    put(s.putObject("prediction"), p);
                    if (text) {
                        out.printf(Locale.ROOT, "  max rate   %s/s per replica within %s%s%n", fmt(max.get()), objectives, marginText(model, objectives));
                        printPrediction(out, p);
                    }
                }
            }
            case replicas -> {
                Optional<Double> max = model.maxRate(query.withRate(1), objectives, !noMargin);
                ObjectNode s = json.putObject("replicas").put("rate", rate).put("headroom", headroom).put("objectives", objectives.toString());
                margins(s, model, objectives);
                if (max.isEmpty()) {
                    failed = true;
                    s.putNull("replicas");
                    if (text) {
                        out.printf(Locale.ROOT, "  replicas   none suffice: %s is not met even at the lowest rate%n", objectives);
                    }
                } else {
                    double usable = max.get() * (1 - headroom);
                    int n = (int) Math.ceil(rate / usable - 1e-9);
                    double each = rate / n;
                    query = query.withRate(each);
                    LatencyModel.Prediction p = model.predict(query);
                    s.put("replicas", n);
                    put(s, "max_rate_per_replica", max.get());
                    put(s, "rate_per_replica", each);
                    put(s.putObject("prediction"), p);
                    if (text) {
                        out.printf(Locale.ROOT, "  replicas   %d for %s/s: each at %s/s, %.0f%% of its max sustainable %s/s within %s%s (headroom %.0f%%)%n",
                                n, fmt(rate), fmt(each), 100 * each / max.get(), fmt(max.get()), objectives, marginText(model, objectives), 100 * headroom);
                        printPrediction(out, p);
                    }
                }
            }
        }
        List<String> outside = model.outOfRange(query);
        for (String o : outside) {
            warn(json, text, o + " (an extrapolation)");
        }
        if (strict && !outside.isEmpty()) {
            failed = true;
        }
        if (!text) {
            json.put("ok", !failed);
            out.println(json.toPrettyString());
        }
        return failed ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    private void margins(ObjectNode n, LatencyModel model, List<Objective> objectives) {
        ObjectNode m = n.putObject("margin_pct");
        for (Objective o : objectives) {
            put(m, o.target().label(), noMargin ? 0 : 100 * model.typicalError(o.target()));
        }
    }

    private String marginText(LatencyModel model, List<Objective> objectives) {
        if (noMargin) {
            return "";
        }
        return objectives.stream().map(o -> String.format(Locale.ROOT, "%s %.0f%%", o.target().label(), 100 * model.typicalError(o.target())))
                .collect(java.util.stream.Collectors.joining(", ", ", with the model's typical error to spare (", ")"));
    }

    private void warn(ObjectNode json, boolean text, String message) {
        json.withArray("warnings").add(message);
        if (text) {
            spec.commandLine().getErr().println("recops: warning: " + message);
        }
    }

    private static void printPrediction(PrintWriter out, LatencyModel.Prediction p) {
        out.printf(Locale.ROOT, "  latency    p50 %.1f  p95 %.1f  p99 %.1f ms%n", p.p50(), p.p95(), p.p99());
        if (Double.isFinite(p.maxThroughput())) {
            out.printf(Locale.ROOT, "  load       utilisation %.2f of %s/s max throughput per replica%n", p.utilisation(), fmt(p.maxThroughput()));
        }
    }

    private static void put(ObjectNode n, LatencyModel.Prediction p) {
        put(n, "p50_ms", p.p50());
        put(n, "p95_ms", p.p95());
        put(n, "p99_ms", p.p99());
        put(n, "max_throughput_rps", p.maxThroughput());
        put(n, "utilisation", p.utilisation());
    }

    /** JSON has no NaN: what the model cannot tell is null. */
    private static void put(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, round(v));
        } else {
            n.putNull(key);
        }
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }
}
