package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.review.AccessLogs;
import dev.recops.analysis.review.Drift;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code recops review drift}: has what the users send changed? */
@Command(
        name = "drift",
        mixinStandardHelpOptions = true,
        description = {
            "Input drift between two access logs: query tokens, k, the endpoint mix, the degraded share and the status mix, as "
                    + "the population stability index (PSI) and, for numeric features, the Kolmogorov-Smirnov statistic D. Exit 3 "
                    + "when a feature crosses a threshold (for cron).",
            "%nPSI below 0.1 is stable, 0.1-0.2 moderate, above 0.2 a significant shift.",
            ""
        })
final class ReviewDriftCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Option(names = "--baseline", paramLabel = "FILE", required = true, arity = "1..*", description = "Access logs of the reference period.")
    List<Path> baseline;

    @Option(names = "--current", paramLabel = "FILE", required = true, arity = "1..*", description = "Access logs of the period to check.")
    List<Path> current;

    @Option(names = "--psi-threshold", paramLabel = "X", defaultValue = "0.2", description = "Drift when a PSI exceeds this (default: ${DEFAULT-VALUE}).")
    double psiThreshold;

    @Option(names = "--ks-threshold", paramLabel = "D", defaultValue = "0.1",
            description = "Drift when a numeric feature's KS statistic exceeds this (default: ${DEFAULT-VALUE}).")
    double ksThreshold;

    @Override
    public Integer call() {
        if (psiThreshold <= 0 || ksThreshold <= 0 || ksThreshold > 1) {
            throw AnalysisException.invalid("--psi-threshold must be above 0 and --ks-threshold in (0, 1]");
        }
        AccessLogs.Loaded b = AccessLogs.read(baseline, null, null);
        AccessLogs.Loaded c = AccessLogs.read(current, null, null);
        if (b.table().rowCount() == 0 || c.table().rowCount() == 0) {
            throw AnalysisException.invalid("no requests in the " + (b.table().rowCount() == 0 ? "baseline" : "current") + " logs");
        }
        List<Drift.Feature> features = Drift.compare(b.table(), c.table());
        boolean drifted = false;
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode json = new ObjectMapper().createObjectNode().put("baseline_requests", b.table().rowCount())
                .put("current_requests", c.table().rowCount()).put("psi_threshold", psiThreshold).put("ks_threshold", ksThreshold);
        if (!output.json()) {
            out.printf(Locale.ROOT, "recops review drift: %d baseline requests, %d current%n  %-13s %8s %8s %10s %10s%n", b.table().rowCount(),
                    c.table().rowCount(), "feature", "PSI", "KS D", "mean then", "mean now");
        }
        ObjectNode perFeature = json.putObject("features");
        for (Drift.Feature f : features) {
            boolean over = f.psi() > psiThreshold || (!Double.isNaN(f.ks()) && f.ks() > ksThreshold);
            drifted |= over;
            ObjectNode n = perFeature.putObject(f.name()).put("psi", round(f.psi())).put("drift", over);
            if (!Double.isNaN(f.ks())) {
                n.put("ks", round(f.ks())).put("baseline_mean", round(f.baselineMean())).put("current_mean", round(f.currentMean()));
            }
            if (!output.json()) {
                out.printf(Locale.ROOT, "  %-13s %8.3f %8s %10s %10s  %s%n", f.name(), f.psi(), Double.isNaN(f.ks()) ? "-" : String.format(Locale.ROOT, "%.3f", f.ks()),
                        Double.isNaN(f.baselineMean()) ? "-" : String.format(Locale.ROOT, "%.2f", f.baselineMean()),
                        Double.isNaN(f.currentMean()) ? "-" : String.format(Locale.ROOT, "%.2f", f.currentMean()), over ? "DRIFT" : label(f.psi()));
            }
        }
        if (output.json()) {
            out.println(json.put("drift", drifted).toPrettyString());
        }
        return drifted ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    /** Below the threshold, the conventional reading of a PSI the help states: stable below 0.1, moderate to 0.2. */
    static String label(double psi) {
        return psi < 0.1 ? "stable" : psi <= 0.2 ? "moderate" : "shifted";
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
