package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.drill.Drill;
import dev.recops.engine.drill.DrillPlan;
import dev.recops.engine.drill.Experiment;
import dev.recops.engine.drill.Journal;
import dev.recops.engine.load.QueryFile;
import dev.recops.engine.load.Workload;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code recops drill}: a chaos or disaster-recovery experiment, measured.
 *
 * <p>Over 150 lines by its help text (the experiment's format, faults and exit codes, which a user
 * reads with {@code --help}); the running is {@code engine.drill}'s, this class only wires it.
 */
@Command(
        name = "drill",
        mixinStandardHelpOptions = true,
        subcommands = DrillCompareCommand.class,
        description = {
            "Run a chaos / disaster-recovery experiment file (YAML or JSON, shaped like Chaos Toolkit's: title, target, load, "
                    + "steady_state, method, rollbacks, stop_conditions, expect) and measure what the clients saw: time to detect, RTO, "
                    + "lost requests by kind, error budget burned, the steady state before and after.",
            "%nA local target starts N recops serve replicas on free loopback ports behind HAProxy (health checks, retries, "
                    + "redispatch) and tears them down afterwards; a url target only gets admin-API faults and HTTP probes, and needs "
                    + "--yes for them; a kubernetes target (namespace, selector, url) also gets kill, pause and restart through kubectl "
                    + "(--dry-run prints the commands), with --yes. Faults: kill_replica (SIGKILL), pause_replica (SIGSTOP/SIGCONT), restart_replica, inject_fault "
                    + "(latency, errors, stall), clear_faults, deploy_corrupted, hot_swap, rollback, overload, reload_catalog (damage: missing "
                    + "or corrupt), network_fault (through a TCP fault proxy between HAProxy and a replica: latency, jitter, bandwidth, reset, "
                    + "blackhole, one-way partition, slow close, flapping) and clear_network.",
            "%nWith an alerting block a local drill also runs Prometheus (the shipped rules, --rules) and Alertmanager beside it and "
                    + "records when each alert went pending, fired, was notified and resolved; expect then takes time_to_alert, alerts_fired "
                    + "and time_to_resolve in the shared objective grammar, or the sentences 'alert NAME fires within 3m', 'no alert fires' "
                    + "and 'alerts resolve within 5m'.",
            "%nExit 0 when the hypothesis held and every expectation was met, 3 when the drill deviated (the report says which probe "
                    + "or expectation, by how much), 2 for an invalid experiment (field and line named), 4 for a missing precondition "
                    + "(haproxy, prometheus, alertmanager, files).",
            ""
        })
final class DrillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    // Optional to picocli only so that "recops drill compare A B" needs none; call() requires it.
    @Parameters(paramLabel = "EXPERIMENT", arity = "0..1", description = "The experiment file (.yaml, .yml or .json); see scripts/drills/.")
    Path file;

    @Option(names = "--dry-run", description = "Check the experiment and print the plan; start and touch nothing.")
    boolean dryRun;

    @Option(names = "--yes", description = "Allow faults against a url target (a deployment the drill did not start).")
    boolean yes;

    @Option(names = "--journal", paramLabel = "FILE.json", description = "Write the journal: experiment, activities, timeline, measurements, "
            + "verdict (review --events reads its timeline).")
    Path journal;

    @Option(names = "--report", paramLabel = "FILE.md", description = "Write the Markdown report.")
    Path report;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where local replicas, HAProxy, their logs and access logs live "
            + "(kept). Default: a temporary directory, removed afterwards.")
    Path workDir;

    @Option(names = "--model-repo", paramLabel = "DIR", defaultValue = "${sys:recops.home:-.}/models",
            description = "Model repository for local replicas (default: the distribution's).")
    Path modelRepo;

    @Option(names = "--catalog", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/catalog/products.csv",
            description = "Catalog for local replicas (default: the distribution's).")
    Path catalog;

    @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = "${sys:recops.cache:-${sys:user.home}/.cache/recops}/embeddings",
            description = "Embedding cache shared by local replicas (default: ${DEFAULT-VALUE}).")
    Path cacheDir;

    @Option(names = "--queries", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/queries/wands.csv",
            description = "Search queries for the load (default: the distribution's WANDS queries).")
    Path queries;

    @Option(names = "--rules", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/deploy/prometheus/recops-rules.yml",
            description = "Prometheus rules an experiment with alerting loads (default: the shipped ones, the distribution's "
                    + "deploy/prometheus/recops-rules.yml).")
    Path rules;

    @Override
    public Integer call() throws IOException {
        if (file == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'EXPERIMENT'");
        }
        Experiment e = Experiment.read(file);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun) {
            out.println("recops drill: " + e.title() + " (" + file + "): valid; the plan:");
            List<String> plan = DrillPlan.of(e);
            for (int i = 0; i < plan.size(); i++) {
                out.printf("  %2d. %s%n", i + 1, plan.get(i));
            }
            return ExitCodes.OK;
        }
        if (e.destructiveOnUrl() && !yes) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "the experiment acts on " + e.target().describe() + ", a deployment the drill did not start: add --yes to go ahead");
        }
        if (e.target().local()) {
            for (Path p : List.of(modelRepo, catalog)) {
                if (!Files.exists(p)) {
                    throw new RecopsException.PreconditionFailed("file_not_found", p + " not found (see --model-repo, --catalog)");
                }
            }
        }
        List<String> q = QueryFile.read(queries);
        Workload.Spec workload = new Workload.Spec(q, Map.of(Workload.Endpoint.SEARCH, 1), e.load().k(), "", "search-encoder", List.of(),
                Optional.empty(), "/v1/search", List.of(), Workload.Order.SEQUENTIAL, 1.1, 20261122);
        Path work = workDir != null ? workDir : Files.createTempDirectory("recops-drill-");
        Journal j;
        try {
            err.println("recops drill: " + e.title());
            j = Drill.run(e, new Drill.Options(serveCommand(), modelRepo, catalog, work, workload, rules, line -> {
                err.println("  " + line);
                err.flush();
            }));
        } finally {
            if (workDir == null) {
                deleteTree(work);
            }
        }
        if (journal != null) {
            Files.writeString(journal, j.toJson().toPrettyString() + "\n");
        }
        if (report != null) {
            Files.writeString(report, j.toMarkdown());
        }
        if (output.json()) {
            out.println(j.toJson().toPrettyString());
        } else {
            j.summary().forEach(out::println);
        }
        return j.held() ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
    }

    /** {@code recops serve} as this JVM runs recops: same Java, options and class path. */
    private List<String> serveCommand() {
        return RecopsProcess.command(List.of("serve", "--cache-dir", cacheDir.toString()));
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
