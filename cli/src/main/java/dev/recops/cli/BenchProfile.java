package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.recops.analysis.latency.CallTimeModel;
import dev.recops.engine.load.CallProfile;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.serve.ServeOptions;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code recops bench --profile FILE.csv}: the model's call-time profile, and how well a call-time model fits it. */
final class BenchProfile {
    private BenchProfile() {}

    static int run(ServeOptions options, Path file, PrintWriter out, PrintWriter err, OutputOptions output) {
        ModelVersion version = ModelRepository.find(options.modelRepo(), options.model(), options.primaryVersion());
        boolean terminal = System.console() != null && System.console().isTerminal();
        ProgressLine progress = new ProgressLine(err, terminal);
        long start = System.nanoTime();
        List<CallProfile.Point> points = CallProfile.measure(threads -> TextEncoder.load(version, threads), CallProfile.Grid.DEFAULT,
                (done, total, last) -> progress.update(version.id() + ": profiling model calls", "points", done, total));
        CallProfile.writeCsv(file, points);
        CallTimeModel model = CallTimeModel.fit(CallTimeModel.read(file), CallTimeModel.FOLDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        var node = JsonNodeFactory.instance.objectNode().put("version", version.id()).put("file", file.toString())
                .put("points", points.size()).put("seconds", seconds).put("call_time_model_mape", model.cvMape());
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%s: %d points profiled in %.0f s, written to %s; a call-time model "
                + "(fixed cost, per token, attention; one fit per threads and workers) on points left out:", version.id(), points.size(), seconds, file));
        model.cvMapeByGroup().forEach((g, mape) -> {
            node.withArray("mape_by_setting").addObject().put("threads", g.threads()).put("workers", g.workers()).put("mape", mape);
            text.append(String.format(Locale.ROOT, "%n  %d thread(s), %d worker(s): MAPE %.1f%%", g.threads(), g.workers(), 100 * mape));
        });
        output.print(out, node, text.toString());
        return ExitCodes.OK;
    }
}
