package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** recops train and predict-latency as a person uses them, on the committed measurements. */
@Tag("command")
class LatencyCommandsTest {
    static final Path RUNS = Path.of(System.getProperty("recops.testdata", "../testdata"), "latency/runs.csv");

    @TempDir
    static Path dir;
    static Path model;
    static CommandResult trained;

    @BeforeAll
    static void train() {
        model = dir.resolve("latency-model");
        trained = CommandResult.run("train", RUNS.toString(), "-o", model.toString());
    }

    @Test
    void trainReportsCrossValidatedErrorsPerTargetAndSavesADescribedModel() throws Exception {
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("grouped by configuration", "p50", "p95", "p99", "max throughput", "MAPE of every algorithm",
                "feature importance", "saved " + model);
        JsonNode d = new ObjectMapper().readTree(Files.readString(model.resolve("model.json")));
        assertThat(d.path("data").path("sha256").asText()).hasSize(64);
        assertThat(d.path("targets").path("p99_ms").path("algorithm").asText()).isNotEmpty();
        assertThat(d.path("features").path("rate").path("max").asDouble()).isGreaterThan(d.path("features").path("rate").path("min").asDouble());
    }

    @Test
    void predictsLatencyAndUtilisationAsTextAndJson() throws Exception {
        CommandResult text = CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "400", "--batch-max", "16");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("p50", "p95", "p99", "utilisation");
        CommandResult json = CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "800", "--replicas", "2", "--format", "json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.path("config").path("rate_per_replica").asDouble()).isEqualTo(400);
        assertThat(n.path("prediction").path("p99_ms").asDouble()).isPositive();
        assertThat(n.path("prediction").path("utilisation").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void solvesMaxRateAndReplicasUnderAnObjective() throws Exception {
        CommandResult max = CommandResult.run("predict-latency", "--model", model.toString(), "--batch-max", "16", "--solve", "max-rate",
                "--slo", "p99<=50ms", "--format", "json");
        assertThat(max.exitCode()).as(max.err()).isZero();
        JsonNode solved = new ObjectMapper().readTree(max.out()).path("max_rate");
        double perReplica = solved.path("rate_per_replica").asDouble();
        assertThat(perReplica).isPositive();
        // the answer is the low end of the interval the model's typical error spans, below the bare edge
        assertThat(solved.path("interval_per_replica").path("low").asDouble()).isEqualTo(perReplica);
        assertThat(solved.path("edge_per_replica").asDouble()).isGreaterThan(perReplica)
                .isLessThan(solved.path("interval_per_replica").path("high").asDouble());
        // a plan says what it holds under
        assertThat(new ObjectMapper().readTree(max.out()).path("assumes").asText()).contains("Poisson arrivals", "-token queries", "--check");

        CommandResult replicas = CommandResult.run("predict-latency", "--model", model.toString(), "--batch-max", "16", "--solve", "replicas",
                "--rate", "5000", "--slo", "p99<=50ms", "--headroom", "0.3", "--format", "json");
        assertThat(replicas.exitCode()).as(replicas.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(replicas.out()).path("replicas");
        int n = r.path("replicas").asInt();
        assertThat(5000.0 / n).isLessThanOrEqualTo(0.7 * perReplica + 1e-6);
        assertThat(5000.0 / (n - 1)).isGreaterThan(0.7 * perReplica);

        CommandResult impossible = CommandResult.run("predict-latency", "--model", model.toString(), "--solve", "max-rate", "--slo", "p50<=0.1ms");
        assertThat(impossible.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(impossible.out()).contains("not met even at the lowest rate");
    }

    @Test
    void warnsOutsideTheTrainingRangesAndFailsWithStrict() {
        CommandResult loose = CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "100", "--batch-max", "128");
        assertThat(loose.exitCode()).isZero();
        assertThat(loose.err()).contains("warning: batch_max 128 is outside the training range");
        CommandResult strict = CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "100", "--batch-max", "128", "--strict");
        assertThat(strict.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
    }

    @Test
    void badInputIsOneLineAndTheRightExitCode() throws Exception {
        assertOneLine(CommandResult.run("predict-latency", "--model", dir.resolve("absent").toString(), "--rate", "10"), ExitCodes.PRECONDITION,
                "not a latency model");
        assertOneLine(CommandResult.run("predict-latency", "--model", model.toString()), ExitCodes.USAGE, "--rate");
        assertOneLine(CommandResult.run("predict-latency", "--model", model.toString(), "--solve", "max-rate"), ExitCodes.USAGE, "--slo");
        assertOneLine(CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "10", "--slo", "p98<50"), ExitCodes.USAGE,
                "p99<=50ms");
        assertOneLine(CommandResult.run("predict-latency", "--model", model.toString(), "--rate", "10", "--solve", "min-cost"), ExitCodes.USAGE,
                "max-rate");
        assertOneLine(CommandResult.run("train", dir.resolve("absent.csv").toString(), "-o", dir.resolve("m").toString()), ExitCodes.PRECONDITION,
                "not found");
        Path notRuns = Files.writeString(dir.resolve("queries.csv"), "query_id,query\n1,desk\n");
        assertOneLine(CommandResult.run("train", notRuns.toString(), "-o", dir.resolve("m").toString()), ExitCodes.USAGE, "not a recops bench");
        // train --measure's options shape a calibration: never accepted and ignored without one, nor with a server at --url
        assertOneLine(CommandResult.run("train", RUNS.toString(), "-o", dir.resolve("m").toString(), "--budget", "5m"), ExitCodes.USAGE,
                "--budget goes with --measure DIR");
        assertOneLine(CommandResult.run("train", "--measure", dir.resolve("cal").toString(), "-o", dir.resolve("m").toString(), "--url",
                "http://127.0.0.1:9", "--configs", "1/1/1,2/1/1,4/1/1"), ExitCodes.USAGE, "--configs and --url: a server you run");
        assertOneLine(CommandResult.run("train", "-o", dir.resolve("m").toString()), ExitCodes.USAGE, "or --measure DIR");
        assertOneLine(CommandResult.run("train", "--measure", dir.resolve("cal").toString(), "-o", dir.resolve("m").toString(), "--budget", "1m"),
                ExitCodes.USAGE, "--budget 1m is less than the smallest calibration");
        assertOneLine(CommandResult.run("train", RUNS.toString(), "-o", dir.resolve("m").toString(), "--algo", "svm"), ExitCodes.USAGE,
                "unknown algorithm");
    }

    @Test
    void trainsTheSimulationOnACallTimeProfileAndPredictsWithIntervals() throws Exception {
        Path simulated = dir.resolve("simulated");
        CommandResult t = CommandResult.run("train", RUNS.toString(), "--profile", RUNS.resolveSibling("profile.csv").toString(), "--algo",
                "simulation", "-o", simulated.toString());
        assertThat(t.exitCode()).as(t.err()).isZero();
        assertThat(t.out()).contains("simulation: call-time profile on 2 CPUs", "ms per request outside the batcher");
        CommandResult p = CommandResult.run("predict-latency", "--model", simulated.toString(), "--rate", "200", "--batch-max", "16",
                "--format", "json");
        assertThat(p.exitCode()).as(p.err()).isZero();
        JsonNode prediction = new ObjectMapper().readTree(p.out()).path("prediction");
        JsonNode p99 = prediction.path("interval_80").path("p99_ms");
        assertThat(p99.path("low").asDouble()).isLessThan(prediction.path("p99_ms").asDouble());
        assertThat(p99.path("high").asDouble()).isGreaterThan(prediction.path("p99_ms").asDouble());
        assertOneLine(CommandResult.run("train", RUNS.toString(), "--algo", "simulation", "-o", dir.resolve("m2").toString()), ExitCodes.USAGE,
                "--profile");
        assertOneLine(CommandResult.run("predict-latency", "--model", simulated.toString(), "--rate", "100", "--server-cpus", "8"),
                ExitCodes.USAGE, "measured on 2 CPU(s), not the 8");

        // --check: a few seconds of the model's calls here against the profile the model was trained with; whether this
        // machine differs from the one that measured the committed profile is the machine's business, not the test's
        String repo = System.getProperty("recops.defaultModels");
        CommandResult check = CommandResult.run("predict-latency", "--model", simulated.toString(), "--check", "--model-repo", repo, "--format",
                "json");
        assertThat(check.exitCode()).as(check.err()).isIn(ExitCodes.OK, ExitCodes.CHECK_FAILED);
        JsonNode c = new ObjectMapper().readTree(check.out());
        assertThat(c.path("points").asInt()).isEqualTo(3);
        assertThat(c.path("ratio").asDouble()).isPositive();
        assertThat(c.path("tolerance").asDouble()).isGreaterThanOrEqualTo(0.05);
        assertThat(c.path("changed").asBoolean()).isEqualTo(check.exitCode() == ExitCodes.CHECK_FAILED);
        assertThat(c.has("recalibrate")).isEqualTo(c.path("changed").asBoolean());
        assertOneLine(CommandResult.run("predict-latency", "--model", model.toString(), "--check", "--model-repo", repo), ExitCodes.USAGE,
                "was trained without a call-time profile");
    }

    /**
     * The batcher alone on the pinned call-time profile: an access log whose requests come in
     * bursts of 20 every second waits far longer at p99, in larger batches, than constant arrivals
     * at the same mean rate; the replay keeps each request's logged length and scales to --rate.
     */
    @Test
    void simulatesTheBatcherOnAProfileUnderGeneratedOrReplayedArrivals() throws Exception {
        String profile = Path.of(System.getProperty("recops.testdata", "../testdata"), "latency/pinned/profile.csv").toString();
        StringBuilder log = new StringBuilder();
        for (int second = 0; second < 30; second++) {
            for (int i = 0; i < 20; i++) {
                log.append(String.format(java.util.Locale.ROOT,
                        "{\"ts\":\"2026-11-22T10:00:%02d.%03dZ\",\"endpoint\":\"search\",\"status\":200,\"latency_ms\":5,\"query_tokens\":%d}%n",
                        second, i / 4, 4 + i % 5));
            }
        }
        Path bursts = Files.writeString(dir.resolve("bursts.jsonl"), log);
        ObjectMapper json = new ObjectMapper();
        CommandResult replayed = CommandResult.run("predict-latency", "--simulate", profile, "--arrivals", bursts.toString(), "--workers", "1",
                "--format", "json");
        assertThat(replayed.exitCode()).as(replayed.err()).isZero();
        JsonNode r = json.readTree(replayed.out());
        assertThat(r.path("requests").asLong()).isEqualTo(600);
        assertThat(r.path("mean_query_tokens").asDouble()).isEqualTo(6.0);
        assertThat(r.path("rate").asDouble()).isBetween(19.0, 21.0);
        CommandResult steady = CommandResult.run("predict-latency", "--simulate", profile, "--arrivals", "constant", "--rate", "20",
                "--tokens", "6", "--workers", "1", "--format", "json");
        assertThat(steady.exitCode()).as(steady.err()).isZero();
        JsonNode c = json.readTree(steady.out());
        assertThat(r.path("p99_ms").asDouble()).isGreaterThan(3 * c.path("p99_ms").asDouble());
        assertThat(r.path("mean_batch").asDouble()).isGreaterThan(2);
        assertThat(c.path("mean_batch").asDouble()).isEqualTo(1.0);
        assertThat(c.path("shed_share").asDouble()).isZero();

        JsonNode scaled = json.readTree(CommandResult.run("predict-latency", "--simulate", profile, "--arrivals", bursts.toString(),
                "--rate", "60", "--workers", "1", "--format", "json").out());
        assertThat(scaled.path("rate").asDouble()).isBetween(59.0, 61.0);
        assertThat(scaled.path("utilisation").asDouble()).isGreaterThan(r.path("utilisation").asDouble());
        double max = c.path("max_throughput").asDouble();
        JsonNode over = json.readTree(CommandResult.run("predict-latency", "--simulate", profile, "--rate", String.valueOf(2 * max), "--tokens",
                "6", "--workers", "1", "--seconds", "5", "--format", "json").out());
        assertThat(over.path("shed_share").asDouble()).as("twice the max throughput is shed").isGreaterThan(0.2);
        CommandResult text = CommandResult.run("predict-latency", "--simulate", profile, "--rate", "100");
        assertThat(text.out()).contains("The batcher alone (batch-max 16, batch-delay 2ms, 2 worker(s), 1 thread(s)", "utilisation:",
                "shed:", "max throughput:");

        assertOneLine(CommandResult.run("predict-latency", "--simulate", profile), ExitCodes.USAGE, "--rate is required");
        assertOneLine(CommandResult.run("predict-latency", "--simulate", profile, "--arrivals", bursts.toString(), "--tokens", "5"),
                ExitCodes.USAGE, "--tokens does not apply to a replay");
        assertOneLine(CommandResult.run("predict-latency", "--simulate", profile, "--rate", "10", "--model", model.toString()),
                ExitCodes.USAGE, "takes no --model");
        assertOneLine(CommandResult.run("predict-latency", "--simulate", dir.resolve("none.csv").toString(), "--rate", "10"),
                ExitCodes.PRECONDITION, "none.csv");
        assertOneLine(CommandResult.run("predict-latency", "--rate", "10"), ExitCodes.USAGE, "--model");
    }

    @Test
    void theHelpNamesEveryAlgorithmTheReportCanChoose() {
        String help = CommandResult.run("train", "--help").out().replaceAll("\\s+", " ");
        for (dev.recops.analysis.latency.Algorithm a : dev.recops.analysis.latency.Algorithm.values()) {
            assertThat(help).as(a.label).containsPattern("[ ,(]" + java.util.regex.Pattern.quote(a.label) + "[ ,)]");
        }
    }

    /**
     * Ten minutes of a generated access log whose latencies are what the trained model predicts,
     * except minute 4, a surge to a rate where the model expects a slow tail, and minute 7, the
     * quiet rate with a tail five times slower (an injected fault): review tells the two apart.
     */
    @Test
    void reviewTellsSlowBecauseOfLoadFromSlowBeyondIt() throws Exception {
        dev.recops.analysis.latency.LatencyModel m = dev.recops.analysis.latency.LatencyModel.load(model);
        dev.recops.analysis.latency.Query q = m.defaultQuery();
        double quiet = 20;
        dev.recops.analysis.latency.LatencyModel.Prediction calm = m.predict(q.withRate(quiet));
        double surge = quiet;
        dev.recops.analysis.latency.LatencyModel.Prediction busy = calm;
        while (busy.p99() < 2 * calm.p99() && surge < 5_000) {
            surge += 20;
            busy = m.predict(q.withRate(surge));
        }
        assertThat(busy.sustainable()).as("the model has a sustainable rate where the tail doubles").isTrue();
        StringBuilder log = new StringBuilder();
        for (int minute = 0; minute < 10; minute++) {
            double rate = minute == 4 ? surge : quiet;
            LatencyTail tail = minute == 4 ? new LatencyTail(busy.p50(), busy.p99()) : minute == 7 ? new LatencyTail(calm.p50(), 5 * calm.p99())
                    : new LatencyTail(calm.p50(), calm.p99());
            int n = (int) Math.round(rate * 60);
            for (int i = 0; i < n; i++) {
                log.append(String.format(java.util.Locale.ROOT, "{\"ts\":\"2026-11-22T10:%02d:%02d.%03dZ\",\"status\":200,\"latency_ms\":%.3f}%n",
                        minute, i * 60 / n, (int) ((i * 60_000L / n) % 1000), i % 50 == 0 ? tail.p99 : tail.p50));
            }
        }
        Path file = Files.writeString(dir.resolve("surge-and-fault.jsonl"), log);
        CommandResult r = CommandResult.run("review", file.toString(), "--latency-model", model.toString(), "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode minutes = new ObjectMapper().readTree(r.out()).path("minutes");
        assertThat(minutes.get(4).path("load_verdict").asText()).as(minutes.get(4).toString()).isEqualTo("load");
        assertThat(minutes.get(7).path("load_verdict").asText()).as(minutes.get(7).toString()).isEqualTo("beyond_load");
        assertThat(minutes.get(2).path("load_verdict").asText()).isEqualTo("normal");
        CommandResult text = CommandResult.run("review", file.toString(), "--latency-model", model.toString());
        assertThat(text.out()).contains("2026-11-22T10:04Z: p99", "slow because of load", "2026-11-22T10:07Z: p99", "slow beyond what load explains");
    }

    private record LatencyTail(double p50, double p99) {}

    private static void assertOneLine(CommandResult r, int code, String text) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(code);
        assertThat(r.err().strip()).contains(text).doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void benchInProcessRecordsTheTrainingColumnsIncludingTheServersModelCalls() throws Exception {
        Path csv = dir.resolve("runs.csv");
        // the first 60 products: what is measured is the query path, and a small catalog embeds in a moment
        Path catalog = Files.write(dir.resolve("products.csv"),
                Files.readAllLines(Path.of(System.getProperty("recops.testdata"), "esci/products.csv")).subList(0, 61));
        CommandResult r = CommandResult.run("bench", "--in-process", "--model-repo", System.getProperty("recops.defaultModels"),
                "--catalog", catalog.toString(), "--cache-dir",
                dir.resolve("cache").toString(), "--queries", Path.of(System.getProperty("recops.testdata"), "wands/queries.csv").toString(),
                "--rate", "40", "--duration", "2s", "--warmup", "1s", "--csv", csv.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("p95", "texts per call");
        java.util.List<String> lines = Files.readAllLines(csv);
        java.util.List<String> header = java.util.List.of(lines.get(0).split(","));
        String[] row = lines.get(1).split(",");
        assertThat(Double.parseDouble(row[header.indexOf("model_calls")])).isPositive();
        assertThat(Double.parseDouble(row[header.indexOf("mean_batch")])).isGreaterThanOrEqualTo(1);
        assertThat(Double.parseDouble(row[header.indexOf("mean_call_ms")])).isPositive();
        assertThat(Integer.parseInt(row[header.indexOf("server_cpus")])).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(Double.parseDouble(row[header.indexOf("p95_ms")])).isBetween(Double.parseDouble(row[header.indexOf("p50_ms")]),
                Double.parseDouble(row[header.indexOf("p99_ms")]));
    }
}
