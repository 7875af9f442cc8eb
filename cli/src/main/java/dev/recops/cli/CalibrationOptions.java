package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.engine.load.Calibration;
import dev.recops.engine.load.CalibrationPlan;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** {@code train --measure}: the options that shape a calibration on this machine, and running it. */
final class CalibrationOptions {
    /** The options below other than --measure: each goes with it. */
    static final List<String> SHAPING = List.of("--budget", "--configs", "--repeats", "--url", "--serve-args", "--dry-run", "--fractions",
            "--run-length", "--probe-length", "--warmup", "--finds");

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

    /** What the fit reads after a calibration: the given files and the calibration's, and the profile. */
    record Measured(List<Path> files, Path profile) {}

    /**
     * Plans and runs the calibration into {@link #measure}.
     *
     * @param files the runs given beside --measure
     * @param profile the call-time profile given with --profile, or null
     * @return what to fit on; empty when only the plan was asked for (--dry-run)
     */
    Optional<Measured> calibrate(CommandSpec spec, List<Path> files, Path profile) {
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
            return Optional.empty();
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
        return Optional.of(new Measured(all, given == null && Files.exists(dir.profile()) ? dir.profile() : given));
    }
}
