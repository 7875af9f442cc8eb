package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.Algorithm;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Trainer;
import dev.recops.analysis.latency.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code recops train}: fit a latency model and report how well it predicts configurations it never saw. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Fit a latency model (p50, p95, p99, max throughput) from recops bench runs (--csv files) and access logs (.jsonl, "
                    + "aggregated per minute), for predict-latency.",
            "%nEvery algorithm is judged by k-fold cross-validation grouped by configuration: the runs of one configuration are "
                    + "all learned or all judged, so the errors are those of predicting a configuration never measured. Per target "
                    + "the report gives MAPE, RMSE and R², the algorithm kept and the features that matter (permutation importance).",
            "%nAlgorithms: simulation (recops' own batcher simulated over the model's call-time profile, --profile, and "
                    + "calibrated on the runs), queue (a learned service time composed with a batch-service queue; extrapolates "
                    + "towards capacity), ols, ridge, gbm, gbm-quantile (median loss: robust to disturbed runs), forest, ensemble "
                    + "(the geometric mean of ridge, gbm-quantile and forest). Every prediction comes with an 80%% interval from its "
                    + "algorithm's cross-validated error (and the simulation's spread over seeds).",
            ""
        })
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Mixin
    CalibrationOptions calibration;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "runs.csv files from recops bench --csv, and access logs (.jsonl); "
            + "with --measure, added to what it measures.")
    List<Path> files = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true,
            description = "Where to save the model: DIR/model.json (its description) and DIR/model.ser.")
    Path out;

    @Option(names = "--algo", paramLabel = "ALGO", defaultValue = "auto",
            description = "auto (per target, the lowest cross-validated MAPE), simulation, queue, ols, ridge, gbm, gbm-quantile, forest "
                    + "or ensemble (default: ${DEFAULT-VALUE}).")
    String algo;

    @Option(names = "--profile", paramLabel = "FILE.csv",
            description = "The model's call-time profile (recops bench --profile, measured on the server's CPUs), which the "
                    + "simulation runs on; without it the simulation is not a candidate.")
    Path profile;

    @Option(names = "--folds", paramLabel = "K", defaultValue = "5",
            description = "Cross-validation folds, at most one per configuration (default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--batch-max", paramLabel = "N", description = "Access logs only: the server's --batch-max when it wrote them.")
    Integer batchMax;

    @Option(names = "--batch-delay", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "2ms",
            description = "Access logs only: the server's --batch-delay (default: ${DEFAULT-VALUE}).")
    Duration batchDelay;

    @Option(names = "--workers", paramLabel = "N", description = "Access logs only: the server's --workers.")
    Integer workers;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Access logs only: the server's --threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--catalog-products", paramLabel = "N", defaultValue = "0",
            description = "Access logs only: products the server's catalog held (default: not recorded).")
    int catalogProducts;

    @Option(names = "--index", paramLabel = "KIND", defaultValue = "",
            description = "Access logs only: the server's index kind, exact or hnsw (/v1/models tells; default: not recorded).")
    String index;

    @Override
    public Integer call() {
        if (calibration.measure != null) {
            Optional<CalibrationOptions.Measured> measured = calibration.calibrate(spec, files, profile);
            if (measured.isEmpty()) {
                return ExitCodes.OK;
            }
            files = measured.get().files();
            profile = measured.get().profile();
        } else if (files.isEmpty()) {
            throw AnalysisException.invalid("give the runs to train on (FILE...), or --measure DIR to measure them first");
        } else {
            spec.commandLine().getParseResult().matchedOptions().stream().map(o -> o.longestName())
                    .filter(CalibrationOptions.SHAPING::contains)
                    .findFirst().ifPresent(n -> {
                        throw AnalysisException.invalid(n + " goes with --measure DIR (it shapes a calibration)");
                    });
        }
        Optional<Algorithm> only = algo.equalsIgnoreCase("auto") ? Optional.empty() : Optional.of(Algorithm.parse(algo));
        if (!index.isEmpty() && !index.equals("exact") && !index.equals("hnsw")) {
            throw AnalysisException.invalid("--index must be exact or hnsw, not " + index);
        }
        Optional<Config> logConfig = batchMax == null || workers == null ? Optional.empty()
                : Optional.of(new Config("", "", batchMax, batchDelay.toNanos() / 1e6, workers, threads, Math.max(0, catalogProducts), index));
        TrainingData data = TrainingData.read(files, logConfig);
        if (profile != null) {
            data = data.withProfile(profile);
        }
        boolean terminal = System.console() != null && System.console().isTerminal(); // progress on a terminal only
        ProgressLine progress = new ProgressLine(spec.commandLine().getErr(), true);
        LatencyModel model;
        try {
            model = Trainer.train(data, only, folds,
                    terminal ? (what, done, total) -> progress.update("training", "fits; now " + what, done, total) : Trainer.Progress.NONE);
        } catch (AnalysisException e) {
            if (calibration.measure == null) {
                throw e;
            }
            throw AnalysisException.invalid(e.getMessage() + "; measure more into " + calibration.measure + " (more --configs, "
                    + "or a larger --budget) and run again: only what is new is measured");
        }
        if (terminal) {
            progress.update("training", "fits", 1, 1); // the whole: clears the line
        }
        model.save(out);
        new TrainRenderer(spec.commandLine().getOut(), output.json()).render(model, out, files);
        return ExitCodes.OK;
    }

}
