package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.IndexChoice;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServiceSetup;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;
import org.HdrHistogram.HistogramLogWriter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One bench: a single run gated on its objectives (and a baseline), a sweep of one parameter,
 * or the search for the highest rate that meets the objectives. What {@code recops bench} and
 * the shell call; the command only parses options and renders.
 */
public final class Bench {

    /** What a bench does. */
    public enum Kind { RUN, SWEEP, MAX_RATE }

    /**
     * @param url the server to load, unless {@code inProcess}
     * @param engine the engine's options: served in this JVM when {@code inProcess}; its model
     *     name goes into KServe v2 paths either way
     * @param csv append one row per run (the data of {@code recops train})
     * @param replicas replicas behind {@code url}, recorded in {@code csv}
     * @param hdrLog interval histograms of each run, one per second
     * @param repeats probes per rate of a max-rate search; a rate passes when most of them do
     */
    public record Request(Workload.Spec workload, LoadSpec load, String url, Optional<Path> caCert, boolean inProcess,
                          ServeOptions engine, IndexChoice indexChoice, List<Slo> objectives, Optional<Sweep> sweep,
                          boolean findMaxRate, Optional<RunJson.Baseline> baseline, Optional<Path> csv, int replicas,
                          Optional<Path> hdrLog, int repeats) {
        public Request {
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(load, "load");
            objectives = List.copyOf(objectives);
            if (findMaxRate && (objectives.isEmpty() || load.mode() != LoadSpec.Mode.OPEN || sweep.isPresent())) {
                throw new RecopsException.InvalidInput("bad_bench", "--find-max-rate needs at least one --slo, an open loop and no --sweep");
            }
            if (repeats < 1 || (repeats > 1 && !findMaxRate)) {
                throw new RecopsException.InvalidInput("bad_bench", repeats < 1 ? "--repeats must be at least 1, not " + repeats
                        : "--repeats probes each rate of --find-max-rate several times; without --find-max-rate, run bench again");
            }
            objectives = Slo.withDefaults(objectives);
            if (sweep.isPresent() && sweep.get().needsEngine() && !inProcess) {
                throw new RecopsException.InvalidInput("bad_bench", "--sweep " + sweep.get().parameter()
                        + " changes how the engine serves, so it needs --in-process (a server at --url is configured by its own options)");
            }
        }

        public Kind kind() {
            return findMaxRate ? Kind.MAX_RATE : sweep.isPresent() ? Kind.SWEEP : Kind.RUN;
        }
    }

    /** One measured run and how it stood against the objectives; {@code parameter} is empty for a single run. */
    public record Point(String parameter, double value, RunResult result, List<Slo.Verdict> verdicts) {
        public boolean breached() {
            return verdicts.stream().anyMatch(v -> !v.met());
        }
    }

    /**
     * @param findings the comparison with the baseline (a single run only)
     * @param maxRate the search's result ({@link Kind#MAX_RATE} only)
     */
    public record Outcome(Kind kind, List<Point> points, List<Comparison.Finding> findings, Optional<MaxRateSearch.Result> maxRate) {
        public List<RunResult> runs() {
            return points.stream().map(Point::result).toList();
        }

        /** An objective breached, a regression against the baseline, or no rate that met the objectives. */
        public boolean breached() {
            return switch (kind) {
                case MAX_RATE -> maxRate.orElseThrow().bestRate().isEmpty();
                case SWEEP -> points.stream().anyMatch(Point::breached);
                case RUN -> points.getFirst().breached() || findings.stream().anyMatch(Comparison.Finding::regression);
            };
        }

        /** The highest rate that met the objectives, for a max-rate search. */
        public OptionalDouble knee() {
            return maxRate.map(MaxRateSearch.Result::bestRate).orElse(OptionalDouble.empty());
        }
    }

    /** What happens while a bench runs, for a live view. */
    public interface Listener {
        Listener NONE = new Listener() {};

        /**
         * @param label the run's parameter, e.g. {@code rate=400}; empty for a single run
         * @param index 1-based
         * @param total runs planned; 0 when open-ended (a max-rate search)
         */
        default void starting(String label, int index, int total) {}

        /** About once a second during a run. */
        default void progress(LoadRun.Progress progress) {}

        /** A run of a sweep or a max-rate search is over (a single run's is the outcome). */
        default void ended(Point point) {}
    }

    private Bench() {}

    public static Outcome run(Request request, Listener listener) {
        List<Point> points = new ArrayList<>();
        switch (request.kind()) {
            case MAX_RATE -> {
                MaxRateSearch.Result found = MaxRateSearch.run(request.load().rate(), request.repeats(), rate -> {
                    listener.starting("rate=" + num(rate), points.size() + 1, 0);
                    Point p = measure(request, request.engine(), request.load().withRate(rate), "rate", rate, listener);
                    points.add(p);
                    listener.ended(p);
                    return p.result();
                }, request.objectives());
                return new Outcome(Kind.MAX_RATE, List.copyOf(points), List.of(), Optional.of(found));
            }
            case SWEEP -> {
                Sweep sweep = request.sweep().orElseThrow();
                List<Double> values = sweep.values();
                for (double value : values) {
                    listener.starting(sweep.parameter() + "=" + num(value), points.size() + 1, values.size());
                    Point p = measure(request, sweep.applyTo(request.engine(), value), sweep.applyTo(request.load(), value),
                            sweep.parameter(), value, listener);
                    points.add(p);
                    listener.ended(p);
                }
                return new Outcome(Kind.SWEEP, List.copyOf(points), List.of(), Optional.empty());
            }
            default -> {
                listener.starting("", 1, 1);
                Point p = measure(request, request.engine(), request.load(), "", Double.NaN, listener);
                List<Comparison.Finding> findings = request.baseline().map(b -> Comparison.compare(b, p.result())).orElse(List.of());
                return new Outcome(Kind.RUN, List.of(p), findings, Optional.empty());
            }
        }
    }

    private static Point measure(Request request, ServeOptions engine, LoadSpec load, String parameter, double value, Listener listener) {
        RunResult r = measure(request, engine, load, listener);
        request.csv().ifPresent(f -> RunsCsv.append(f, r, request.workload().k(), request.replicas()));
        return new Point(parameter, value, r, request.objectives().stream().map(o -> o.evaluate(r)).toList());
    }

    private static RunResult measure(Request request, ServeOptions engine, LoadSpec load, Listener listener) {
        try (HlogFiles.Output hlog = request.hdrLog().map(HlogFiles::create).orElse(null)) {
            if (request.inProcess()) {
                ServerMetrics metrics = new ServerMetrics();
                try (SearchService service = new SearchService(engine, ServiceSetup.DEFAULT.withIndexChoice(request.indexChoice()), metrics,
                        ServeListener.NONE)) {
                    service.load();
                    try (Target target = new InProcessTarget(service, metrics)) {
                        return new LoadRun(target, Workload.build(request.workload(), "in-process"), load, writer(hlog), listener::progress).run();
                    }
                }
            }
            try (HttpTarget target = HttpTarget.connect(request.url(), request.caCert())) {
                return new LoadRun(target, Workload.build(request.workload(), target.hostHeader()), load, writer(hlog), listener::progress).run();
            }
        }
    }

    private static Optional<HistogramLogWriter> writer(HlogFiles.Output hlog) {
        return Optional.ofNullable(hlog).map(HlogFiles.Output::writer);
    }

    /** A rate or parameter value as people write it: {@code 300}, {@code 12.50}. */
    public static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
