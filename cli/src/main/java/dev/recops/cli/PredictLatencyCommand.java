package dev.recops.cli;

import dev.recops.analysis.latency.CapacityPlan;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.LatencyObjective;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code recops predict-latency}: ask a trained latency model, and plan capacity with it.
 *
 * <p>Over 150 lines by its options and help (three questions: predict, {@code --solve}, {@code
 * --check}); the answers are {@code analysis.latency}'s and the printing {@link PlanRenderer}'s.
 */
@Command(
        name = "predict-latency",
        mixinStandardHelpOptions = true,
        description = {
            "Predict p50/p95/p99 latency and utilisation for a rate and serving configuration from a model made by recops train; "
                    + "or solve for the highest sustainable rate (--solve max-rate) or the replicas a rate needs (--solve replicas) "
                    + "under latency objectives. Or, with --simulate, run recops' batcher on a call-time profile (from recops bench "
                    + "--profile) under Poisson or constant arrivals or an access log's, with no server and no trained model.",
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

    @Option(names = "--model", paramLabel = "DIR", description = "A model directory written by recops train -o (required unless --simulate).")
    Path modelDir;

    @Option(names = "--simulate", paramLabel = "PROFILE.csv",
            description = "Instead of a trained model: simulate the batcher alone (queue and model) with the call times of this profile "
                    + "(recops bench --profile), and report its latency percentiles, utilisation, shed share and max throughput. Settings not "
                    + "given take serve's defaults for the shipped models (batch-max 16, batch-delay 2ms, 2 workers, 1 thread, 8 tokens).")
    Path simulate;

    @Option(names = "--arrivals", paramLabel = "KIND|LOG", defaultValue = "poisson",
            description = "With --simulate: poisson or constant arrivals at --rate for --seconds, or an access log (JSON Lines, .gz too) "
                    + "whose arrivals and query lengths are replayed, scaled to --rate when given (default: ${DEFAULT-VALUE}).")
    String arrivals;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "30",
            description = "With --simulate and generated arrivals: simulated seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--queue-capacity", paramLabel = "N", defaultValue = "256",
            description = "With --simulate: requests that may wait (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "With --simulate: each request's deadline (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--check",
            description = "Instead of a prediction: take a short sample of model calls on this machine (seconds) and compare it with the "
                    + "call-time profile the model was trained with; exit 3 when they differ by more than the profile's error (the "
                    + "machine has changed since: recalibrate), 0 when not.")
    boolean check;

    @Option(names = "--model-repo", paramLabel = "DIR", defaultValue = "${sys:recops.home:-.}/models",
            description = "With --check: the model repository holding the model the latency model was trained on (default: the "
                    + "distribution's).")
    Path modelRepo;

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

    static final class SolveConverter implements CommandLine.ITypeConverter<Solve> {
        @Override
        public Solve convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "none" -> Solve.none;
                case "max-rate" -> Solve.max_rate;
                case "replicas" -> Solve.replicas;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is not max-rate or replicas");
            };
        }
    }

    @Override
    public Integer call() {
        if (simulate != null) {
            if (modelDir != null || solve != Solve.none || !slo.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--simulate runs the batcher on a profile: it takes no --model, --solve or --slo");
            }
            return PredictSimulation.run(simulate, settings, arrivals, rate, seconds, queueCapacity, requestTimeout,
                    spec.commandLine().getOut(), output);
        }
        if (modelDir == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--model=DIR' (or --simulate PROFILE.csv)");
        }
        if (check) {
            return MachineCheck.run(LatencyModel.load(modelDir), modelDir, modelRepo, spec.commandLine().getOut(), spec.commandLine().getErr(),
                    output);
        }
        CapacityPlan.Solve what = switch (solve) {
            case none -> CapacityPlan.Solve.PREDICT;
            case max_rate -> CapacityPlan.Solve.MAX_RATE;
            case replicas -> CapacityPlan.Solve.REPLICAS;
        };
        CapacityPlan.Request request = new CapacityPlan.Request(what, rate == null ? Double.NaN : rate, replicas,
                slo.stream().map(LatencyObjective::parse).toList(), headroom, !noMargin);
        LatencyModel model = LatencyModel.load(modelDir);
        CapacityPlan.Answer answer = CapacityPlan.solve(model, settings.query(model), request);
        if (output.json()) {
            spec.commandLine().getOut().println(PlanRenderer.json(model, answer, strict).toPrettyString());
            spec.commandLine().getOut().flush();
        } else {
            PlanRenderer.text(spec.commandLine().getOut(), spec.commandLine().getErr(), model, answer);
        }
        return answer.failed(strict) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
