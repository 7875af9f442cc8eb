package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.load.Comparison;
import dev.recops.engine.load.HlogFiles;
import dev.recops.engine.load.HttpTarget;
import dev.recops.engine.load.InProcessTarget;
import dev.recops.engine.load.LoadRun;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.MaxRateSearch;
import dev.recops.engine.load.QueryFile;
import dev.recops.engine.load.RunJson;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.RunsCsv;
import dev.recops.engine.load.Slo;
import dev.recops.engine.load.Sweep;
import dev.recops.engine.load.Target;
import dev.recops.engine.load.Workload;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code recops bench}: load a server or the engine, measure honestly, gate on SLOs. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        subcommands = BenchMergeCommand.class,
        description = {
            "Load a recops server (or the engine in-process) and report latency percentiles from HdrHistogram.",
            "%nOpen loop by default: requests start at --rate per second whatever the server does, and latency counts "
                    + "from each request's intended start, so a stall shows in full (no coordinated omission). "
                    + "--concurrency N runs N closed-loop clients instead, corrected for the expected interval. "
                    + "--slo gates the run (exit 3 when breached); --csv appends one row per run for recops train.",
            ""
        })
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Mixin
    EngineOptions engine;

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "The server to load, http or https (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "For an https --url: PEM certificates to trust instead of the JDK's authorities (a private CA, a self-signed server).")
    Path caCert;

    @Option(names = "--in-process", description = "Drive the engine in this JVM (model and catalog options as for serve) instead of a URL.")
    boolean inProcess;

    static final class Load {
        @Option(names = "--rate", paramLabel = "PER_SECOND", description = "Open loop: requests started per second (default: 100).")
        Double rate;

        @Option(names = "--concurrency", paramLabel = "N", description = "Closed loop: N clients, each waiting for its answer.")
        Integer concurrency;
    }

    @ArgGroup(exclusive = true)
    Load load = new Load();

    enum Arrivals { constant, poisson }

    enum Order { sequential, zipf }

    @Option(names = "--arrivals", paramLabel = "KIND", defaultValue = "constant",
            description = "Open loop arrivals: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Arrivals arrivals;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time per run (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "Load sent before measuring, not counted (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "1000",
            description = "Open loop: requests due while N are unanswered are dropped and counted (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "A request unanswered this long is a timeout error (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--queries", paramLabel = "FILE",
            description = "Query texts: CSV with a 'query' column, JSON Lines with \"query\", or one per line; repeatable "
                    + "(default: the WANDS and ESCI queries shipped).")
    List<Path> queryFiles = new ArrayList<>();

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "sequential",
            description = "How queries are picked: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Order order;

    @Option(names = "--zipf-exponent", paramLabel = "S", defaultValue = "1.0", description = "Skew of --order zipf (default: ${DEFAULT-VALUE}).")
    double zipfExponent;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--mix", paramLabel = "MIX", defaultValue = "search=100",
            description = "Endpoints and weights, e.g. search=80,recommend=20; endpoints: search, recommend, embed, v2 (KServe infer), "
                    + "template (POST --body-template to --path), get (GET --path) (default: ${DEFAULT-VALUE}).")
    String mix;

    @Option(names = "--k", paramLabel = "K", defaultValue = "10", description = "Results per search or recommend request (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--model-version", paramLabel = "VERSION", defaultValue = "",
            description = "Ask for this model version in every request (default: the server's primary).")
    String version;

    @Option(names = "--body-template", paramLabel = "FILE",
            description = "JSON body for the 'template' endpoint, with {{query}} where the query goes as a JSON string.")
    Path bodyTemplate;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/v1/search", description = "Request path of the 'template' and 'get' endpoints (default: ${DEFAULT-VALUE}).")
    String templatePath;

    @Option(names = "--header", paramLabel = "'NAME: VALUE'", description = "Extra request header; repeatable.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--slo", paramLabel = "OBJECTIVE",
            description = "Objective to gate on, e.g. 'p99<=50ms', 'errors<=0.1%%', 'throughput>=500'; repeatable. Exit 3 when breached.")
    List<String> slos = new ArrayList<>();

    @Option(names = "--compare", paramLabel = "RUN.json", description = "A baseline run (--out); exit 3 on a regression beyond run-to-run noise.")
    Path compare;

    @Option(names = "--sweep", paramLabel = "PARAM=VALUES",
            description = "Run once per value: rate=100..1000:100, concurrency=1,2,4; with --in-process also batch-max, workers, threads.")
    String sweep;

    @Option(names = "--find-max-rate", description = "Search for the highest open-loop rate that meets every --slo (starts at --rate).")
    boolean findMaxRate;

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

    @Override
    public Integer call() {
        List<Slo> objectives = slos.stream().map(Slo::parse).toList();
        if (findMaxRate && (objectives.isEmpty() || load.concurrency != null || sweep != null)) {
            throw new ParameterException(spec.commandLine(), "--find-max-rate needs at least one --slo, an open loop and no --sweep");
        }
        Optional<Sweep> sweepSpec = Optional.ofNullable(sweep).map(Sweep::parse);
        if (sweepSpec.isPresent() && sweepSpec.get().needsEngine() && !inProcess) {
            throw new ParameterException(spec.commandLine(), "--sweep " + sweepSpec.get().parameter()
                    + " changes how the engine serves, so it needs --in-process (a server at --url is configured by its own options)");
        }
        Optional<RunJson.Baseline> baseline = Optional.ofNullable(compare).map(RunJson::read);
        LoadSpec base = loadSpec();
        BenchRenderer renderer = new BenchRenderer(spec.commandLine().getOut(), output.json());
        ServeOptions engineOptions = engine.options("127.0.0.1", 0, spec);
        List<String> queries = queries();
        List<String> productIds = needsProducts() ? productIds(engineOptions.catalog()) : List.of();
        Workload.Spec workloadSpec = new Workload.Spec(queries, parseMix(), k, version, engineOptions.model(), productIds,
                Optional.ofNullable(bodyTemplate).map(this::readTemplate), templatePath, headers, order(), zipfExponent, seed);

        List<RunResult> runs = new ArrayList<>();
        Function<ServeOptions, Function<LoadSpec, RunResult>> runner = options -> loadSpec -> {
            RunResult r = runOnce(options, workloadSpec, loadSpec);
            runs.add(r);
            if (csv != null) {
                RunsCsv.append(csv, r, k, replicas);
            }
            return r;
        };
        boolean breached = false;
        OptionalDouble knee = OptionalDouble.empty();
        if (findMaxRate) {
            MaxRateSearch.Result found = MaxRateSearch.run(base.rate(), rate -> {
                RunResult r = runner.apply(engineOptions).apply(base.withRate(rate));
                renderer.probe(r, objectives);
                return r;
            }, objectives);
            renderer.maxRate(found, objectives);
            breached = found.bestRate().isEmpty();
            knee = found.bestRate();
        } else if (sweepSpec.isPresent()) {
            for (double value : sweepSpec.get().values()) {
                RunResult r = runner.apply(sweepSpec.get().applyTo(engineOptions, value)).apply(sweepSpec.get().applyTo(base, value));
                breached |= renderer.sweepRow(sweepSpec.get().parameter(), value, r, objectives);
            }
        } else {
            RunResult r = runner.apply(engineOptions).apply(base);
            List<Slo.Verdict> verdicts = objectives.stream().map(o -> o.evaluate(r)).toList();
            List<Comparison.Finding> findings = baseline.map(b -> Comparison.compare(b, r)).orElse(List.of());
            renderer.run(r, verdicts, baseline, findings);
            breached = verdicts.stream().anyMatch(v -> !v.met()) || findings.stream().anyMatch(Comparison.Finding::regression);
        }
        if (chart != null && !runs.isEmpty()) {
            BenchPictures.write(chart, runs, objectives, knee);
        }
        if (out != null && !runs.isEmpty()) {
            try {
                Files.writeString(out, RunJson.write(runs.getLast()).toPrettyString() + "\n");
            } catch (IOException e) {
                throw new RecopsException.Failure("io_error", "cannot write " + out + ": " + e.getMessage(), e);
            }
        }
        return breached ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    private RunResult runOnce(ServeOptions options, Workload.Spec workloadSpec, LoadSpec loadSpec) {
        ProgressLine progress = new ProgressLine(spec.commandLine().getErr(), System.console() != null && !output.json());
        try (HlogFiles.Output hlog = hdrLog == null ? null : HlogFiles.create(hdrLog)) {
            if (inProcess) {
                ServerMetrics metrics = new ServerMetrics();
                try (SearchService service = new SearchService(options, metrics, ServeListener.NONE)) {
                    service.indexChoice(engine.indexChoice(spec));
                    service.load();
                    try (Target target = new InProcessTarget(service, metrics)) {
                        return run(target, Workload.build(workloadSpec, "in-process"), loadSpec, hlog, progress);
                    }
                }
            }
            try (HttpTarget target = HttpTarget.connect(url, Optional.ofNullable(caCert))) {
                return run(target, Workload.build(workloadSpec, target.hostHeader()), loadSpec, hlog, progress);
            }
        }
    }

    private static RunResult run(Target target, Workload workload, LoadSpec loadSpec, HlogFiles.Output hlog, ProgressLine progress) {
        RunResult r = new LoadRun(target, workload, loadSpec, Optional.ofNullable(hlog).map(HlogFiles.Output::writer), progress).run();
        progress.clear();
        return r;
    }

    private LoadSpec loadSpec() {
        boolean closed = load.concurrency != null;
        return new LoadSpec(closed ? LoadSpec.Mode.CLOSED : LoadSpec.Mode.OPEN, load.rate == null ? 100 : load.rate,
                arrivals == Arrivals.poisson ? LoadSpec.Arrivals.POISSON : LoadSpec.Arrivals.CONSTANT,
                closed ? load.concurrency : 1, duration, warmup, maxInFlight, timeout);
    }

    private Workload.Order order() {
        return order == Order.zipf ? Workload.Order.ZIPF : Workload.Order.SEQUENTIAL;
    }

    private Map<Workload.Endpoint, Integer> parseMix() {
        Map<Workload.Endpoint, Integer> weights = new LinkedHashMap<>();
        for (String part : mix.split(",")) {
            String[] kv = part.strip().split("=", 2);
            try {
                int w = kv.length == 2 ? Integer.parseInt(kv[1].strip()) : 1;
                if (weights.put(Workload.Endpoint.parse(kv[0].strip()), w) != null) {
                    throw new ParameterException(spec.commandLine(), "--mix names " + kv[0].strip() + " twice");
                }
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--mix weights are whole numbers, as in search=80,recommend=20; not " + part);
            }
        }
        return weights;
    }

    private boolean needsProducts() {
        return mix.contains("recommend");
    }

    private List<String> queries() {
        List<Path> files = queryFiles.isEmpty()
                ? List.of(Path.of(System.getProperty("recops.home", "."), "queries", "wands.csv"),
                        Path.of(System.getProperty("recops.home", "."), "queries", "esci.csv"))
                : queryFiles;
        List<String> all = new ArrayList<>();
        files.forEach(f -> all.addAll(QueryFile.read(f)));
        return all;
    }

    private static List<String> productIds(Path catalog) {
        return CatalogLoader.load(catalog).products().stream().map(Product::productId).toList();
    }

    private String readTemplate(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "cannot read the body template " + file + ": " + e.getMessage());
        }
    }

    /** The live line on a terminal: rate, p99 so far, errors; nothing when not a terminal. */
    static final class ProgressLine implements java.util.function.Consumer<LoadRun.Progress> {
        private final PrintWriter err;
        private final boolean enabled;

        ProgressLine(PrintWriter err, boolean enabled) {
            this.err = err;
            this.enabled = enabled;
        }

        @Override
        public void accept(LoadRun.Progress p) {
            if (enabled) {
                err.printf("\r%5.0fs %s %7.1f/s  p99 %8.2f ms  errors %d   ", p.elapsedSeconds(), p.warmup() ? "warm-up" : "measure",
                        p.responsesPerSecond(), p.p99SoFar(), p.errorsSoFar());
                err.flush();
            }
        }

        void clear() {
            if (enabled) {
                err.print("\r" + " ".repeat(70) + "\r");
                err.flush();
            }
        }
    }
}
