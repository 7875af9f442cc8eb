package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.load.Bench;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.RunJson;
import dev.recops.engine.load.Slo;
import dev.recops.engine.load.Sweep;
import dev.recops.engine.serve.ServeOptions;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code recops bench}: load a server or the engine, measure honestly, gate on SLOs. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        subcommands = BenchMergeCommand.class,
        description = {
            "Load a recops server (or the engine in-process) and report latency percentiles from HdrHistogram.",
            "%nOpen loop by default: requests start at --rate per second whatever the server does, and latency counts "
                    + "from each request's intended start, so a stall shows in full (no coordinated omission). "
                    + "--concurrency N runs N closed-loop clients instead: latency of the responses received, with a coordinated-omission "
                    + "estimate beside it (corrected). Every answer is ok, degraded (from the server's fallback) or an error by kind. "
                    + "--slo gates the run (exit 3 when breached; degraded<=0%% unless an --slo bounds it); --csv appends one row per run "
                    + "for recops train.",
            ""
        })
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Mixin
    EngineOptions engine;

    @Mixin
    LoadOptions load;

    @Mixin
    WorkloadOptions workload;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The server to load, http or https (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "For an https --url: PEM certificates to trust instead of the JDK's authorities (a private CA, a self-signed server).")
    Path caCert;

    @Option(names = "--in-process", description = "Drive the engine in this JVM (model and catalog options as for serve) instead of a URL.")
    boolean inProcess;

    @Option(names = "--slo", paramLabel = "OBJECTIVE",
            description = "Objective to gate on, e.g. 'p99<=50ms', 'errors<=0.1%%', 'throughput>=500'; repeatable. Exit 3 when breached.")
    List<String> slos = new ArrayList<>();

    @Option(names = "--compare", paramLabel = "RUN.json", description = "A baseline run (--out); exit 3 on a regression beyond run-to-run noise.")
    Path compare;

    @Option(names = "--sweep", paramLabel = "PARAM=VALUES",
            description = "Run once per value: rate=100..1000:100, concurrency=1,2,4; with --in-process also batch-max, workers, threads.")
    String sweep;

    @Option(names = "--find-max-rate", description = "Search for the highest open-loop rate that meets every --slo (starts at --rate). "
            + "A probe whose queue keeps growing (its wait rising faster than 25 ms per second) fails whatever the objectives say.")
    boolean findMaxRate;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "1",
            description = "With --find-max-rate: probe each rate up to N times; it passes when most probes do (3 rides out one stall "
                    + "of a shared machine). Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--csv", paramLabel = "FILE", description = "Append one row per run: configuration and results (the data of recops train).")
    Path csv;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1", description = "Replicas behind --url, recorded in --csv (default: ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--hdr-log", paramLabel = "FILE", description = "Write the interval histograms (one per second) to an .hlog file.")
    Path hdrLog;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the run (the last one, with --sweep) as JSON.")
    Path out;

    @Option(names = "--chart", paramLabel = "DIR", description = "Draw the run as PNG charts in DIR: latency per second, responses per second, "
            + "latency by percentile; with a sweep of rates or --find-max-rate, p50/p99 against the offered rate with the objective and the knee.")
    Path chart;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the run as one self-contained HTML page (no network, charts embedded): "
            + "the summary and the charts of --chart, with the --compare baseline overlaid.")
    Path report;

    @Option(names = "--profile", paramLabel = "FILE.csv",
            description = "Instead of a load: profile the model's call time in-process (batch 1..32 texts of 8..64 tokens, 1 and 2 "
                    + "threads, 1 and 2 workers calling at once; a few minutes), write it to FILE.csv and report how well a "
                    + "call-time model fits it (MAPE on points left out). Model options as for serve.")
    Path profile;

    @Override
    public Integer call() {
        if (profile != null) {
            return BenchProfile.run(engine.options("127.0.0.1", 0, spec), profile, spec.commandLine().getOut(), spec.commandLine().getErr(), output);
        }
        if (!inProcess) {
            engine.refuseForServerAt(url, spec);
        }
        LoadSpec loadSpec = load.spec(); // the cheap checks first
        List<Slo> objectives = slos.stream().map(Slo::parse).toList();
        Optional<Sweep> sweepSpec = Optional.ofNullable(sweep).map(Sweep::parse);
        ServeOptions engineOptions = engine.options("127.0.0.1", 0, spec);
        Bench.Request request = new Bench.Request(workload.spec(engineOptions), loadSpec, url, Optional.ofNullable(caCert), inProcess,
                engineOptions, engine.indexChoice(spec), objectives, sweepSpec, findMaxRate, Optional.ofNullable(compare).map(RunJson::read),
                Optional.ofNullable(csv), replicas, Optional.ofNullable(hdrLog), repeats);
        BenchRenderer renderer = new BenchRenderer(spec.commandLine().getOut(), spec.commandLine().getErr(), output.json(),
                System.console() != null && !output.json(), request);
        Bench.Outcome outcome = Bench.run(request, renderer);
        renderer.outcome(outcome);
        if (chart != null || report != null) {
            Map<String, XYChart> charts = BenchPictures.charts(request, outcome);
            Optional.ofNullable(chart).ifPresent(dir -> BenchPictures.save(dir, charts));
            Optional.ofNullable(report).ifPresent(file -> BenchPictures.report(file, BenchRenderer.text(request, outcome), charts));
        }
        if (out != null) {
            try {
                Files.writeString(out, RunJson.write(outcome.runs().getLast()).toPrettyString() + "\n");
            } catch (IOException e) {
                throw new RecopsException.Failure("io_error", "cannot write " + out + ": " + e.getMessage(), e);
            }
        }
        return outcome.breached() ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
