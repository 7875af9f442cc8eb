package dev.recops.analysis.review;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incident in logs from the shipped generator (scripts/bench/AccessLogGen.java, 150,000
 * requests at 200/s from 10:00): the latency step on version 2, or the error burst on
 * /v1/recommend, starts at 10:05:00, 20 s after its deploy. At every seed the incident starts in
 * the minute of 10:05 (never before it: the onset once came at 10:03, from five chance errors
 * two minutes earlier), and the deploy is the last event before it.
 */
class GeneratedIncidentTest {
    private static final Instant ONSET = Instant.parse("2026-11-22T10:05:00Z");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} at seed {1}")
    @CsvSource({"latency, 20261122", "latency, 1", "latency, 7", "latency, 42", "errors, 20261122", "errors, 1", "errors, 7", "errors, 42"})
    void theIncidentStartsInTheMinuteOfTheStepAfterItsDeploy(String scenario, long seed) throws Exception {
        Path log = dir.resolve("access.jsonl");
        Path events = dir.resolve("events.jsonl");
        generate(150_000, scenario, seed, log, events);
        var table = AccessLogs.read(List.of(log), null, null).table();

        Incident.Found found = Incident.find(table, Timeline.perMinute(table), List.of()).orElseThrow();

        assertThat(found.start()).isEqualTo(ONSET);
        assertThat(Events.lastBefore(Events.read(List.of(events)), found.start()).orElseThrow().what()).startsWith("deploy");
    }

    private static void generate(long lines, String scenario, long seed, Path log, Path events) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("recops.scripts", "../scripts")).resolve("bench/AccessLogGen.java");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), script.toString(),
                Long.toString(lines), scenario, Long.toString(seed))
                .redirectOutput(log.toFile()).redirectError(events.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the generator finishes").isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.size(log)).isPositive();
    }
}
