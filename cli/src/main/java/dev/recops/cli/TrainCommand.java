package dev.recops.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.Algorithm;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Trainer;
import dev.recops.analysis.latency.TrainingData;
import dev.recops.engine.load.Calibration;
import dev.recops.engine.load.CalibrationPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

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

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "runs.csv files from recops bench --csv, and access logs (.jsonl); "
            + "with --measure, added to what it measures.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--measure", paramLabel = "DIR",
            description = "First calibrate on this machine, into DIR: the model's call-time profile, then per configuration a capacity "
                    + "search and runs at fractions of capacity, the server (recops serve) on every CPU but one and the load (recops "
                    + "bench) on that one (taskset). The plan is printed first; each step is appended to DIR as it completes, so the "
                    + "same command resumes after Ctrl-C or a crash, and a larger --budget or more --configs measure only what is new. "
                    + "Then the model is fitted on all of DIR's data.")
    Path measure;

    @Option(names = "--budget", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "With --measure: how long it may take; it chooses how many configurations and repeats fit (default: 20m "
                    + "unless --configs is given).")
    Duration budget;

    @Option(names = "--configs", paramLabel = "B/W/T[,B/W/T...]", split = ",",
            description = "With --measure: the configurations to measure, batch-max/workers/threads (default: chosen by --budget).")
    List<String> configs;

    @Option(names = "--repeats", paramLabel = "N", description = "With --measure and --configs: runs at each fraction (default: 1).")
    Integer repeats;

    @Option(names = "--fractions", paramLabel = "F[,F...]", split = ",", defaultValue = "0.25,0.5,0.8",
            description = "With --measure: the fractions of capacity the runs are made at (default: ${DEFAULT-VALUE}).")
    List<Double> fractions;

    @Option(names = "--run-length", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "30s",
            description = "With --measure: each run's measured length (default: ${DEFAULT-VALUE}).")
    Duration runLength;

    @Option(names = "--probe-length", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "10s",
            description = "With --measure: each capacity probe's length (default: ${DEFAULT-VALUE}).")
    Duration probeLength;

    @Option(names = "--warmup", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "60s",
            description = "With --measure: load after each server start that is not recorded, a third at 200/s and then full batches "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--finds", paramLabel = "N", defaultValue = "1",
            description = "With --measure: capacity searches per configuration; their median is its capacity (default: ${DEFAULT-VALUE}).")
    int finds;

    @Option(names = "--url", paramLabel = "URL",
            description = "With --measure: calibrate against a server you run, as it is configured (one configuration; no profile "
                    + "unless --profile names one).")
    String url;

    @Option(names = "--serve-args", paramLabel = "ARGS",
            description = "With --measure: options for every recops serve it starts and for the profile: your model and catalog, "
                    + "like '--model-repo DIR --primary-version 2 --catalog products.csv'.")
    String serveArgs;

    @Option(names = "--dry-run", description = "With --measure: print the plan and stop.")
    boolean dryRun;

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

    /**
     * Plans and runs the calibration into {@link #measure}, then points the fit at its files.
     *
     * @return true when only the plan was asked for
     */
    private boolean calibrate() {
        PrintWriter err = spec.commandLine().getErr();
        if (url != null && (configs != null || serveArgs != null)) {
            throw AnalysisException.invalid((configs != null ? "--configs" : "--serve-args") + " and --url: a server you run "
                    + "is measured as it is configured");
        }
        Calibration.Pinning pinning = url != null ? new Calibration.Pinning("", "", "the server at --url is not ours to pin")
                : Calibration.Pinning.detect(Calibration.allowedCpus(), Calibration.tasksetInstalled());
        Path given = profile;
        boolean measureProfile = url == null && given == null;
        CalibrationPlan plan;
        if (url != null || configs != null) {
            List<CalibrationPlan.ServerConfig> cs = configs == null ? List.of() : configs.stream().map(CalibrationPlan.ServerConfig::parse).toList();
            plan = new CalibrationPlan(Optional.ofNullable(url), cs, measureProfile, fractions, repeats == null ? 1 : repeats, runLength,
                    probeLength, warmup, finds);
            if (budget != null && plan.estimate().compareTo(budget) > 0) {
                throw AnalysisException.invalid("the plan takes about " + CalibrationPlan.format(plan.estimate())
                        + ", more than --budget " + CalibrationPlan.format(budget) + ": fewer --configs, --repeats or a shorter --run-length");
            }
        } else {
            if (repeats != null) {
                throw AnalysisException.invalid("--repeats goes with --configs; with --budget the budget chooses them");
            }
            plan = CalibrationPlan.forBudget(budget == null ? Duration.ofMinutes(20) : budget,
                    pinning.serverCpus(Calibration.allowedCpus().size()), measureProfile, fractions, runLength, probeLength, warmup, finds);
        }
        err.println("recops train --measure " + measure + ": the plan");
        plan.describe(pinning).forEach(l -> err.println("  " + l));
        if (dryRun) {
            return true;
        }
        List<String> extra = serveArgs == null || serveArgs.isBlank() ? List.of() : List.of(serveArgs.strip().split("\\s+"));
        int ran = Calibration.run(plan, measure, pinning, RecopsProcess::command, extra, new Calibration.Progress() {
            @Override
            public void step(CalibrationPlan.Step step, int done, int total, Duration left) {
                err.printf(Locale.ROOT, "  [%d/%d] %s (about %s left)%n", done + 1, total, step.describe(), CalibrationPlan.format(left));
                err.flush();
            }

            @Override
            public void finished(CalibrationPlan.Step step, String outcome) {
                err.printf(Locale.ROOT, "        %s%n", outcome);
                err.flush();
            }
        });
        Calibration.Dir dir = new Calibration.Dir(measure);
        err.println(ran == 0 ? "  every step was measured before (" + measure + "): fitting" : "  measured; fitting");
        List<Path> all = new ArrayList<>(files);
        all.add(dir.runs());
        if (Files.exists(dir.capacity())) {
            all.add(dir.capacity());
        }
        files = all;
        if (given == null && Files.exists(dir.profile())) {
            profile = dir.profile();
        }
        return false;
    }

    @Override
    public Integer call() {
        if (measure != null) {
            if (calibrate()) {
                return ExitCodes.OK;
            }
        } else if (files.isEmpty()) {
            throw AnalysisException.invalid("give the runs to train on (FILE...), or --measure DIR to measure them first");
        } else {
            spec.commandLine().getParseResult().matchedOptions().stream().map(o -> o.longestName())
                    .filter(n -> List.of("--budget", "--configs", "--repeats", "--url", "--serve-args", "--dry-run", "--fractions", "--run-length",
                            "--probe-length", "--warmup", "--finds").contains(n))
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
            if (measure == null) {
                throw e;
            }
            throw AnalysisException.invalid(e.getMessage() + "; measure more into " + measure + " (more --configs, "
                    + "or a larger --budget) and run again: only what is new is measured");
        }
        if (terminal) {
            progress.update("training", "fits", 1, 1); // the whole: clears the line
        }
        model.save(out);
        PrintWriter w = spec.commandLine().getOut();
        if (output.json()) {
            ObjectNode n = model.describe();
            n.put("saved", out.toString());
            w.println(n.toPrettyString());
            return ExitCodes.OK;
        }
        w.printf(Locale.ROOT, "recops train: %d runs (%d points, repeats merged by median) of %d configurations (%s) from %s, data sha256 %s%n",
                model.runs(), model.observations(), model.configurations(), String.join(", ", model.models()), files.stream().map(Path::toString).collect(Collectors.joining(", ")),
                model.dataSha256().substring(0, 12));
        if (!model.skipped().isEmpty()) {
            w.printf(Locale.ROOT, "  skipped %s, e.g. %s%n", Plural.of(model.skipped().size(), "row"), model.skipped().getFirst());
        }
        w.printf(Locale.ROOT, "  %-15s %-13s %7s %12s %7s %9s %9s   cross-validated, grouped by configuration%n", "target", "algorithm", "MAPE", "RMSE",
                "R²", "80% hi/lo", "covered");
        for (Trainer.TargetReport r : model.reports()) {
            Trainer.Score s = r.chosenScore();
            w.printf(Locale.ROOT, "  %-15s %-13s %6.1f%% %9.2f %-2s %7.3f %9s %9s   %d samples, %d configurations%n", r.target().label(), r.chosen().label,
                    s.mape(), s.rmse(), r.target().unit, s.r2(), String.format(Locale.ROOT, "x%.2f", s.widthRatio80()),
                    String.format(Locale.ROOT, "%.0f%%", 100 * s.coverage80()), r.samples(), r.configurations());
        }
        w.println("  (80% hi/lo: the 80% prediction interval's top over its bottom; covered: the points left out inside an interval "
                + "drawn without their own fold's errors)");
        w.println("  MAPE of every algorithm:");
        for (Trainer.TargetReport r : model.reports()) {
            w.printf(Locale.ROOT, "    %-13s %s%n", r.target().label(), r.scores().stream()
                    .map(s -> s.algorithm().label + " " + (s.usable() ? String.format(Locale.ROOT, "%.1f%%", s.mape()) : "n/a"))
                    .collect(Collectors.joining(", ")));
        }
        w.println("  feature importance (MAPE points lost when the feature is shuffled):");
        for (Trainer.TargetReport r : model.reports()) {
            w.printf(Locale.ROOT, "    %-13s %s%n", r.target().label(), r.importance().stream()
                    .map(i -> String.format(Locale.ROOT, "%s %+.1f", i.feature().column, i.mapeIncrease())).collect(Collectors.joining(", ")));
        }
        model.queue().ifPresent(q -> w.printf(Locale.ROOT, "  queueing model: service time %s (cross-validated MAPE %.1f%%), batches split into calls "
                + "of similar length from %s texts%n", q.serviceTime(), q.serviceTimeMape(),
                Double.isInfinite(q.splitBatch()) ? "never" : String.format(Locale.ROOT, "%.0f", q.splitBatch())));
        model.simulation().ifPresent(s -> w.printf(Locale.ROOT, "  simulation: call-time profile on %s (cross-validated MAPE %.1f%%); "
                + "past capacity the server spends %.2f ms per request outside the batcher%n", Plural.of(s.profileCpus(), "CPU"), 100 * s.profileMape(),
                s.outsideMillis()));
        w.printf(Locale.ROOT, "saved %s (%s, %s)%n", out, LatencyModel.DESCRIPTION, LatencyModel.PREDICTORS);
        return ExitCodes.OK;
    }

}
