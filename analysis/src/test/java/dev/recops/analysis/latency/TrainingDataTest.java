package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TrainingDataTest {
    static final Path RUNS = Path.of(System.getProperty("recops.testdata", "../testdata"), "latency/runs.csv");

    @Test
    void readsTheCommittedRunsWithTheServersModelCalls() {
        TrainingData d = TrainingData.read(List.of(RUNS), Optional.empty());
        assertThat(d.observations()).hasSizeGreaterThan(50);
        assertThat(Samples.byConfig(d.observations())).hasSizeGreaterThanOrEqualTo(8);
        assertThat(d.observations()).allSatisfy(o -> {
            assertThat(o.hasServiceTime()).isTrue();
            assertThat(o.p95()).isBetween(o.p50(), o.p99());
            assertThat(o.query().queryTokens()).isGreaterThan(1);
        });
        assertThat(d.sha256()).hasSize(64);
    }

    @Test
    void readsColumnsByNameSkipsClosedLoopRowsAndDividesTheRateAmongReplicas(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("runs.csv");
        Files.writeString(f, """
                mode,rate,concurrency,mix,batch_max,batch_delay_ms,workers,threads,replicas,error_rate,throughput_rps,p50_ms,p99_ms
                open,300,,"search=90,embed=10",8,2,2,1,3,0,300,5,20
                closed,,16,search=100,8,2,2,1,1,0,600,20,40
                """);
        List<String> skipped = new ArrayList<>();
        List<Observation> obs = TrainingData.runs(f, Files.readString(f), skipped);
        assertThat(obs).hasSize(1);
        assertThat(obs.getFirst().query().rate()).isEqualTo(100);
        assertThat(obs.getFirst().p95()).isNaN();
        assertThat(obs.getFirst().hasServiceTime()).isFalse();
        assertThat(skipped).singleElement().asString().contains("runs.csv:3").contains("closed loop");
    }

    /** A run in which the server answered from its fallback measured the fallback: train says so and leaves it out. */
    @Test
    void aRunWithDegradedAnswersIsLeftOutAndSaidSo(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("runs.csv");
        Files.writeString(f, """
                mode,rate,batch_max,batch_delay_ms,workers,threads,error_rate,throughput_rps,p50_ms,p99_ms,degraded_share
                open,100,8,2,2,1,0,100,5,20,0
                open,200,8,2,2,1,0,200,1,2,0.125
                """);
        List<String> skipped = new ArrayList<>();
        List<Observation> obs = TrainingData.runs(f, Files.readString(f), skipped);
        assertThat(obs).singleElement().satisfies(o -> assertThat(o.query().rate()).isEqualTo(100));
        assertThat(skipped).singleElement().asString().isEqualTo("runs.csv:3: 12.50% of its answers came from the server's fallback, "
                + "not its model (their latency is not the model's)");
    }

    @Test
    void refusesAFileThatIsNotABenchCsvNamingTheMissingColumn(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("other.csv");
        Files.writeString(f, "a,b\n1,2\n");
        assertThatThrownBy(() -> TrainingData.read(List.of(f), Optional.empty())).isInstanceOf(AnalysisException.class)
                .hasMessageContaining("no mode column");
        assertThatThrownBy(() -> TrainingData.read(List.of(dir.resolve("absent.csv")), Optional.empty()))
                .isInstanceOfSatisfying(AnalysisException.class, e -> assertThat(e.kind()).isEqualTo(AnalysisException.Kind.MISSING));
    }

    @Test
    void aggregatesAnAccessLogPerWholeMinuteLeavingOutThePartialFirstAndLast(@TempDir Path dir) throws IOException {
        StringBuilder log = new StringBuilder();
        // minute 0: 1 request (partial), minute 1: 120 requests in batches of 4, minute 2: 1 request (partial)
        log.append(line("2026-11-22T10:00:59.000Z", 200, 9, 4, 8, 4));
        for (int i = 0; i < 120; i++) {
            int status = i < 6 ? 503 : 200;
            log.append(line(String.format("2026-11-22T10:01:%02d.%03dZ", i / 2, (i % 2) * 500), status, 1 + i % 100, i < 6 ? 0 : 4, 8, 6));
        }
        log.append(line("2026-11-22T10:02:00.000Z", 200, 9, 4, 8, 4));
        Path f = dir.resolve("access.jsonl");
        Files.writeString(f, log);

        assertThatThrownBy(() -> TrainingData.read(List.of(f), Optional.empty())).hasMessageContaining("--batch-max");
        TrainingData d = TrainingData.read(List.of(f), Optional.of(new Config("", "", 16, 2, 2, 1)));

        assertThat(d.observations()).singleElement().satisfies(o -> {
            assertThat(o.query().rate()).isEqualTo(2);
            assertThat(o.errorRate()).isCloseTo(0.05, within(1e-9));
            assertThat(o.p50()).isEqualTo(40);
            assertThat(o.p99()).isEqualTo(99);
            assertThat(o.meanBatch()).isCloseTo(4, within(1e-9));
            assertThat(o.callMillis()).isCloseTo(8, within(1e-9));
            assertThat(o.query().queryTokens()).isEqualTo(6);
            assertThat(o.config().model()).isEqualTo("search-encoder");
            assertThat(o.config().batchMax()).isEqualTo(16);
        });
    }

    private static String line(String ts, int status, double latency, int batch, double inference, int tokens) {
        return String.format(java.util.Locale.ROOT, "{\"ts\":\"%s\",\"endpoint\":\"/v1/search\",\"model\":\"search-encoder\",\"version\":\"2\","
                + "\"status\":%d,\"latency_ms\":%s,\"batch_size\":%d,\"inference_ms\":%s,\"query_tokens\":%d}%n", ts, status, latency, batch,
                inference, tokens);
    }
}
