package dev.recops.cli;

import dev.recops.analysis.bench.BenchCharts;
import dev.recops.engine.RecopsException;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.Slo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** {@code bench --chart DIR}: the last run's charts, and with several runs at different rates, latency against the offered rate. */
final class BenchPictures {
    private BenchPictures() {}

    /** Writes the charts; returns the files written. */
    static List<Path> write(Path dir, List<RunResult> runs, List<Slo> objectives, OptionalDouble knee) {
        Optional<Slo> latency = objectives.stream().filter(Slo::latency).findFirst();
        OptionalDouble bound = latency.map(o -> OptionalDouble.of(o.objective().bound())).orElse(OptionalDouble.empty());
        String name = latency.map(Slo::text).orElse("");
        RunResult last = runs.getLast();
        Map<Double, Double> percentiles = new LinkedHashMap<>();
        percentiles.put(50.0, last.latency().p50());
        percentiles.put(90.0, last.latency().p90());
        percentiles.put(95.0, last.latency().p95());
        percentiles.put(99.0, last.latency().p99());
        percentiles.put(99.9, last.latency().p999());
        try {
            List<Path> written = new java.util.ArrayList<>(BenchCharts.run(dir,
                    last.intervals().stream().map(i -> new BenchCharts.Second(i.startSeconds(), i.responses(), i.p50(), i.p99())).toList(),
                    percentiles, bound, name));
            if (runs.stream().mapToDouble(r -> r.spec().rate()).distinct().count() > 1) {
                written.add(BenchCharts.againstRate(dir, runs.stream().map(r -> new BenchCharts.RatePoint(r.spec().rate(), r.latency().p50(), r.latency().p99()))
                        .toList(), bound, name, knee));
            }
            return written;
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write the charts in " + dir + ": " + e.getMessage(), e);
        }
    }
}
