package dev.recops.cli;

import dev.recops.analysis.bench.BenchCharts;
import dev.recops.engine.RecopsException;
import dev.recops.engine.load.Bench;
import dev.recops.engine.load.RunJson;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.Slo;
import org.knowm.xchart.XYChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bench --chart DIR} and {@code --report FILE}: the last run's charts (with the
 * {@code --compare} baseline overlaid), and with several runs at different rates, latency
 * against the offered rate.
 */
final class BenchPictures {
    private BenchPictures() {}

    static Map<String, XYChart> charts(Bench.Request request, Bench.Outcome outcome) {
        Optional<BenchCharts.Objective> objective = request.objectives().stream().filter(Slo::latency).findFirst()
                .map(o -> new BenchCharts.Objective(o.text(), o.objective().bound()));
        List<RunResult> runs = outcome.runs();
        RunResult last = runs.getLast();
        Optional<BenchCharts.Run> baseline = request.baseline().map(b -> run("baseline " + b.file().getFileName(), b.intervals(), b.distribution()));
        Map<String, XYChart> charts = BenchCharts.run(run(runs.size() > 1 ? "last run" : "this run", last.intervals(), last.distribution()),
                baseline, objective);
        if (runs.stream().mapToDouble(r -> r.spec().rate()).distinct().count() > 1) {
            charts.put(BenchCharts.AGAINST_RATE, BenchCharts.againstRate(
                    runs.stream().map(r -> new BenchCharts.RatePoint(r.spec().rate(), r.latency().p50(), r.latency().p99())).toList(),
                    objective, outcome.knee()));
        }
        return charts;
    }

    private static BenchCharts.Run run(String name, List<RunResult.Interval> intervals, List<RunResult.Percentile> distribution) {
        return new BenchCharts.Run(name,
                intervals.stream().map(i -> new BenchCharts.Second(i.startSeconds(), i.responses(), i.errors(), i.p50(), i.p99(), i.degraded())).toList(),
                distribution.stream().map(p -> new BenchCharts.Percentile(p.percentile(), p.millis())).toList());
    }

    static List<Path> save(Path dir, Map<String, XYChart> charts) {
        try {
            return BenchCharts.save(dir, charts);
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write the charts in " + dir + ": " + e.getMessage(), e);
        }
    }

    static void report(Path file, String summary, Map<String, XYChart> charts) {
        try {
            BenchCharts.report(file, "recops bench", summary, charts);
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write the report " + file + ": " + e.getMessage(), e);
        }
    }
}
