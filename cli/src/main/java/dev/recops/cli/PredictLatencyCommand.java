package dev.recops.cli;

import dev.recops.analysis.latency.CapacityPlan;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

    @Mixin
    ServingSettingsOptions settings;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "A model directory written by recops train -o.")
    Path modelDir;

    @Option(names = "--rate", paramLabel = "PER_SECOND", description = "Requests per second offered (to all replicas together).")
    Double rate;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Replicas sharing --rate evenly, for a prediction (default: ${DEFAULT-VALUE}).")
    int replicas;

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
        CapacityPlan.Solve what = switch (solve) {
            case none -> CapacityPlan.Solve.PREDICT;
            case max_rate -> CapacityPlan.Solve.MAX_RATE;
            case replicas -> CapacityPlan.Solve.REPLICAS;
        };
        CapacityPlan.Request request = new CapacityPlan.Request(what, rate == null ? Double.NaN : rate, replicas,
                slo.stream().map(Objective::parse).toList(), headroom, !noMargin);
        LatencyModel model = LatencyModel.load(modelDir);
        CapacityPlan.Answer answer = CapacityPlan.solve(model, settings.query(model), request);
        if (output.json()) {
            spec.commandLine().getOut().println(PlanRenderer.json(answer, strict).toPrettyString());
            spec.commandLine().getOut().flush();
        } else {
            PlanRenderer.text(spec.commandLine().getOut(), spec.commandLine().getErr(), model, answer);
        }
        return answer.failed(strict) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
