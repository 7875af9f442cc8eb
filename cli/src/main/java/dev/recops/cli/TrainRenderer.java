package dev.recops.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Trainer;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** What {@code recops train} prints about the model it fitted: text, or JSON with {@code --format json}. */
final class TrainRenderer {
    private final PrintWriter w;
    private final boolean json;

    TrainRenderer(PrintWriter out, boolean json) {
        this.w = out;
        this.json = json;
    }

    void render(LatencyModel model, Path out, List<Path> files) {
        if (json) {
            ObjectNode n = model.describe();
            n.put("saved", out.toString());
            w.println(n.toPrettyString());
            return;
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
                    s.mape(), s.rmse(), r.target().unit(), s.r2(), String.format(Locale.ROOT, "x%.2f", s.widthRatio80()),
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
        model.simulation().ifPresent(s -> w.printf(Locale.ROOT, "  simulation: call-time profile on %s (cross-validated MAPE %.1f%%); %s%n",
                Plural.of(s.profileCpus(), "CPU"), 100 * s.profileMape(), s.measured()
                        ? String.format(Locale.ROOT, "beside the model's calls the server spends %.2f ms of CPU per request and %.0f ms a second, "
                                + "and a request %.2f ms outside the batcher", s.outsideMillis(), s.backgroundMillis(), s.outsideLatencyMillis())
                        : String.format(Locale.ROOT, "past capacity the server spends %.2f ms per request outside the batcher", s.outsideMillis())));
        w.printf(Locale.ROOT, "saved %s (%s, %s)%n", out, LatencyModel.DESCRIPTION, LatencyModel.PREDICTORS);
    }
}
