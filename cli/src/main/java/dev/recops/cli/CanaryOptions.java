package dev.recops.cli;

import dev.recops.engine.serve.CanaryAnalysis;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.Optional;

/** serve's automatic canary analysis: whether it runs, its window and thresholds. */
final class CanaryOptions {
    @Option(names = "--canary-analysis",
            description = "Compare the canary with the primary every --canary-window and take it out of the traffic on a breach.")
    boolean canaryAnalysis;

    @Option(names = "--canary-window", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "Window of the canary analysis (default: ${DEFAULT-VALUE}).")
    Duration canaryWindow;

    @Option(names = "--canary-max-error-increase", paramLabel = "FRACTION", defaultValue = "0.01",
            description = "Roll back when the canary's error rate (errors and degraded answers) exceeds the primary's by more (default: ${DEFAULT-VALUE}).")
    double canaryMaxErrorIncrease;

    @Option(names = "--canary-max-p99-ratio", paramLabel = "X", defaultValue = "1.5",
            description = "Roll back when the canary's p99 exceeds this multiple of the primary's (default: ${DEFAULT-VALUE}).")
    double canaryMaxP99Ratio;

    @Option(names = "--canary-min-requests", paramLabel = "N", defaultValue = "100",
            description = "Requests each version needs in a window for a verdict (default: ${DEFAULT-VALUE}).")
    int canaryMinRequests;

    /** The analysis to run, when --canary-analysis is on; its thresholds checked. */
    Optional<CanaryAnalysis> analysis(CommandSpec spec) {
        if (!canaryAnalysis) {
            return Optional.empty();
        }
        if (canaryWindow.isZero() || canaryMaxErrorIncrease < 0 || canaryMaxP99Ratio < 1 || canaryMinRequests < 1) {
            throw new ParameterException(spec.commandLine(),
                    "--canary-window must be positive, --canary-max-error-increase >= 0, --canary-max-p99-ratio >= 1, --canary-min-requests >= 1");
        }
        return Optional.of(new CanaryAnalysis(canaryWindow, canaryMaxErrorIncrease, canaryMaxP99Ratio, canaryMinRequests));
    }
}
