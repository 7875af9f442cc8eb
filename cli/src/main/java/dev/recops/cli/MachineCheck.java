package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.CallTimeModel;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.engine.load.CallProfile;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code recops predict-latency --check}: has this machine changed since the model was trained?
 * A few model calls now (one thread, one worker, batches of 1, 8 and 32 texts of 16 tokens),
 * against what the call-time profile the model was trained with says they take.
 */
final class MachineCheck {
    /** The sample: a few seconds of calls, at the setting every profile has. */
    static final CallProfile.Grid SAMPLE = new CallProfile.Grid(List.of(1, 8, 32), List.of(16), List.of(1), List.of(1), 10);

    private MachineCheck() {}

    static int run(LatencyModel model, Path modelDir, Path repo, PrintWriter out, PrintWriter err, OutputOptions output) {
        CallTimeModel then = model.callTimes().orElseThrow(() -> AnalysisException.invalid(modelDir + " was trained without a call-time profile "
                + "(train --profile, or train --measure), or by a recops older than --check: there is nothing to compare this machine with"));
        if (model.models().size() != 1) {
            throw AnalysisException.invalid(modelDir + " was trained on " + (model.models().isEmpty() ? "no named model" : model.models())
                    + ": --check samples one model");
        }
        String[] nameVersion = model.models().getFirst().split(" v", 2);
        ModelVersion version = ModelRepository.find(repo, nameVersion[0], nameVersion.length > 1 ? nameVersion[1] : "");
        long start = System.nanoTime();
        List<CallProfile.Point> points = CallProfile.measure(threads -> TextEncoder.load(version, threads), SAMPLE, CallProfile.Progress.NONE);
        double seconds = (System.nanoTime() - start) / 1e9;
        CallTimeModel.Drift drift = then.compare(points.stream()
                .map(p -> new CallTimeModel.Row(p.batch(), p.tokens(), p.threads(), p.workers(), p.cores(), p.p50Ms())).toList());
        int cpus = Runtime.getRuntime().availableProcessors();
        String recalibrate = "recops train --measure DIR -o " + modelDir + " (or --budget 5m for a quick one)";
        ObjectNode n = JsonNodeFactory.instance.objectNode().put("model", model.models().getFirst()).put("ratio", drift.ratio())
                .put("tolerance", drift.tolerance()).put("changed", drift.changed()).put("points", drift.points()).put("seconds", seconds)
                .put("cpus_now", cpus).put("cpus_profiled", then.cores());
        if (drift.changed()) {
            n.put("recalibrate", recalibrate);
        }
        String text = String.format(Locale.ROOT, "%s: model calls on this machine take %.2fx what they took when the latency model was trained "
                        + "(%d call shapes, %.1f s of calls); the profile's own error is %.1f%%: %s", model.models().getFirst(), drift.ratio(),
                drift.points(), seconds, 100 * drift.tolerance(),
                drift.changed() ? "the machine has changed, and the model's predictions are off by about that much. Recalibrate: " + recalibrate
                        : "within it, the model holds for this machine")
                + (then.cores() > 0 && then.cores() != cpus ? String.format(Locale.ROOT, "%n  the profile was measured on %d CPU(s), this process has %d: "
                + "run the check where the server runs (taskset -c ... recops predict-latency --check)", then.cores(), cpus) : "");
        output.print(out, n, text);
        return drift.changed() ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
