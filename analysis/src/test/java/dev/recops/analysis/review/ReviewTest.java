package dev.recops.analysis.review;

import dev.recops.analysis.AnalysisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReviewTest {
    static final Instant START = Instant.parse("2026-11-22T10:00:30Z");

    /**
     * Ten minutes at 20 requests per second from START (half a minute past the hour, so the
     * first and last wall-clock minutes are partial); from minute 5 version 2 answers 80 ms
     * slower. Half the traffic goes to each version.
     */
    static void write(Writer w, long seed) throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < 10 * 60 * 20; i++) {
            Instant ts = START.plusMillis(i * 50L);
            boolean v2 = i % 2 == 1;
            boolean slow = v2 && ts.isAfter(START.plusSeconds(270)); // 10:05:00 onwards
            double latency = 5 + r.nextDouble() * 10 + (slow ? 80 : 0);
            int status = i % 1000 == 0 ? 503 : 200;
            w.write(String.format(Locale.ROOT, "{\"ts\":\"%s\",\"request_id\":\"r%d\",\"endpoint\":\"/v1/search\",\"model\":\"search-encoder\","
                    + "\"version\":\"%s\",\"status\":%d,\"latency_ms\":%.3f,\"queue_ms\":0.1,\"inference_ms\":4.2,\"batch_size\":1,\"k\":10,"
                    + "\"query_tokens\":6,\"results\":10,\"degraded\":false}%n", ts, i, v2 ? "2" : "1", status, latency));
        }
    }

    /** Found while fuzzing access-log lines: 1e400 parsed as an infinite latency and was kept. */
    @Test
    void aLineWithAnImpossibleLatencyOrStatusIsMalformed() {
        String ok = "{\"ts\":\"2026-11-22T10:00:00.005Z\",\"status\":200,\"latency_ms\":3.5}";
        assertThat(new AccessLogs.Columns().add(ok, Long.MIN_VALUE, Long.MAX_VALUE)).isTrue();
        for (String bad : List.of(ok.replace("3.5", "1e400"), ok.replace("3.5", "-1"), ok.replace("200", "0"), ok.replace("200", "1000"))) {
            assertThat(new AccessLogs.Columns().add(bad, Long.MIN_VALUE, Long.MAX_VALUE)).as(bad).isFalse();
        }
    }

    @Test
    void readsServesTimestampsByPositionAndAnyOtherInstantThroughTheJdk() {
        for (String ts : List.of("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.005Z", "2026-11-22T23:59:59.999999Z", "2024-02-29T00:00:00.1Z",
                "1999-12-31T12:34:56.78Z", "2026-11-22T10:00:00+01:00")) {
            assertThat(AccessLogs.epochMillis(ts)).as(ts).isEqualTo(Instant.parse(ts).toEpochMilli());
        }
        for (String bad : List.of("2026-02-30T10:00:00Z", "2026-11-22T10:00:00.x5Z", "yesterday")) {
            assertThatThrownBy(() -> AccessLogs.epochMillis(bad)).as(bad).isInstanceOf(java.time.DateTimeException.class);
        }
    }

    @Test
    void loadsPlainAndGzipMergedByTimeCountingMalformedLinesWithTheirPlace(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("a.jsonl");
        try (Writer w = Files.newBufferedWriter(plain)) {
            write(w, 1);
            w.write("not json\n{\"ts\":\"yesterday\",\"status\":200,\"latency_ms\":1}\n");
        }
        Path gz = dir.resolve("b.jsonl.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz)); Writer w = new java.io.OutputStreamWriter(o, StandardCharsets.UTF_8)) {
            write(w, 2);
        }
        AccessLogs.Loaded l = AccessLogs.read(List.of(gz, plain), null, null);
        assertThat(l.table().rowCount()).isEqualTo(24_000);
        assertThat(l.malformed()).isEqualTo(2);
        assertThat(l.malformedExamples()).containsExactly("a.jsonl:12001", "a.jsonl:12002");
        long[] ts = l.table().longColumn("ts_ms").asLongArray();
        for (int i = 1; i < ts.length; i++) {
            assertThat(ts[i]).isGreaterThanOrEqualTo(ts[i - 1]);
        }

        AccessLogs.Loaded window = AccessLogs.read(List.of(plain), Instant.parse("2026-11-22T10:02:00Z"), Instant.parse("2026-11-22T10:03:00Z"));
        assertThat(window.table().rowCount()).isEqualTo(1200);
        assertThat(window.outsideWindow()).isEqualTo(12_000 - 1200);
    }

    @Test
    void theTimelineRunsOnWallClockMinutesAndShowsTheLatencyStepAsBreaches(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.jsonl");
        try (Writer w = Files.newBufferedWriter(f)) {
            write(w, 3);
        }
        List<Timeline.Minute> minutes = Timeline.perMinute(AccessLogs.read(List.of(f), null, null).table());
        assertThat(minutes).hasSize(11);
        assertThat(minutes.getFirst().start()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
        assertThat(minutes.getFirst().requests()).isEqualTo(600); // the second half of 10:00
        assertThat(minutes.get(1).perSecond()).isEqualTo(20);
        assertThat(minutes.get(1).p50()).isBetween(5.0, 15.0);
        assertThat(minutes.get(1).shedShare()).isCloseTo(1.0 / 1200, org.assertj.core.api.Assertions.within(1e-9)); // request 1000

        MinuteObjective p99 = MinuteObjective.parse("p99<=50ms");
        List<Instant> breached = minutes.stream().filter(m -> !p99.met(m)).map(Timeline.Minute::start).toList();
        assertThat(breached.getFirst()).isEqualTo(Instant.parse("2026-11-22T10:05:00Z"));
        assertThat(breached).hasSize(6);
        assertThat(minutes.get(7).p50()).as("half the requests are slow: the median sits at the edge").isGreaterThan(10);
    }

    @Test
    void objectivesParseWithUnitsAndRefuseNonsense() {
        assertThat(MinuteObjective.parse("p99.9<=0.2s")).extracting(MinuteObjective::metric, MinuteObjective::bound).containsExactly(MinuteObjective.Metric.P999, 200.0);
        assertThat(MinuteObjective.parse("errors<=0.1%")).extracting(MinuteObjective::metric, MinuteObjective::bound).containsExactly(MinuteObjective.Metric.ERRORS, 0.001);
        assertThat(MinuteObjective.parse("errors<=0.1%").toString()).isEqualTo("errors<=0.1%");
        assertThatThrownBy(() -> MinuteObjective.parse("errors<=0.1")).isInstanceOf(AnalysisException.class).hasMessageContaining("percent");
        assertThatThrownBy(() -> MinuteObjective.parse("p98<=1ms")).isInstanceOf(AnalysisException.class);
        assertThatThrownBy(() -> AccessLogs.read(List.of(Path.of("/nonexistent.jsonl")), null, null))
                .isInstanceOfSatisfying(AnalysisException.class, e -> assertThat(e.kind()).isEqualTo(AnalysisException.Kind.MISSING));
    }

    @Test
    void detectsTheLatencyStepWithinAMinuteAndNamesTheVersionThatCausedIt(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.jsonl");
        try (Writer w = Files.newBufferedWriter(f)) {
            write(w, 4);
        }
        var t = AccessLogs.read(List.of(f), null, null).table();
        List<Timeline.Minute> minutes = Timeline.perMinute(t);
        for (List<MinuteObjective> objectives : List.of(List.<MinuteObjective>of(), List.of(MinuteObjective.parse("p99<=50ms"), MinuteObjective.parse("errors<=1%")))) {
            Incident.Found found = Incident.find(t, minutes, objectives).orElseThrow();
            assertThat(java.time.Duration.between(Instant.parse("2026-11-22T10:05:00Z"), found.start()).abs().toSeconds())
                    .as("detected start %s with %s", found.start(), objectives).isLessThanOrEqualTo(60);
            assertThat(found.differences().getFirst().dimension()).isEqualTo("model version");
            assertThat(found.differences().getFirst().value()).isEqualTo("search-encoder v2");
            assertThat(found.differences().getFirst().incidentShare()).isGreaterThan(0.9);
        }
    }

    /**
     * 12 minutes at 20/s of searches that hit the query cache 90% of the time; from 10:06 the cache
     * was cleared (a version reloaded) and a tenth of the hits turn into misses slower than 50 ms:
     * the minutes show the hit ratio fall, and the incident names the misses.
     */
    @Test
    void showsTheQueryCacheHitRatioPerMinuteAndNamesMissesBehindASlowTail(@TempDir Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        Random r = new Random(7);
        for (int i = 0; i < 20 * 60 * 12; i++) {
            Instant ts = START.plusMillis(i * 50L);
            boolean after = !ts.isBefore(Instant.parse("2026-11-22T10:06:00Z"));
            boolean hit = r.nextInt(10) != 0 && !(after && r.nextInt(2) == 0);
            double latency = hit ? 0.5 + r.nextDouble() : 8 + r.nextDouble() * 10 + (after ? 60 : 0);
            b.append(String.format(Locale.ROOT, "{\"ts\":\"%s\",\"endpoint\":\"search\",\"version\":\"2\",\"status\":200,\"latency_ms\":%.3f,"
                    + "\"cache\":\"%s\"}%n", ts, latency, hit ? "hit" : "miss"));
        }
        b.append(String.format(Locale.ROOT, "{\"ts\":\"%s\",\"endpoint\":\"ready\",\"status\":200,\"latency_ms\":0.1}%n", START));
        Path f = Files.writeString(dir.resolve("cache.jsonl"), b);
        var t = AccessLogs.read(List.of(f), null, null).table();
        List<Timeline.Minute> minutes = Timeline.perMinute(t);
        assertThat(minutes.get(2).cacheHitRatio()).isBetween(0.85, 0.95);
        assertThat(minutes.get(8).cacheHitRatio()).isBetween(0.4, 0.5);
        Incident.Found found = Incident.find(t, minutes, List.of(MinuteObjective.parse("p99<=50ms"))).orElseThrow();
        assertThat(found.differences()).anySatisfy(d -> {
            assertThat(d.dimension()).isEqualTo("query cache");
            assertThat(d.value()).isEqualTo("miss");
            assertThat(d.incidentShare()).isEqualTo(1.0);
        });
        var none = AccessLogs.read(List.of(Files.writeString(dir.resolve("none.jsonl"),
                "{\"ts\":\"2026-11-22T10:00:00Z\",\"status\":200,\"latency_ms\":3}\n")), null, null).table();
        assertThat(Timeline.perMinute(none).getFirst().cacheHitRatio()).isNaN();
    }

    @Test
    void findsNothingInACalmPeriodWithChanceErrorsAndATailThatComesAndGoes(@TempDir Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        Random r = new Random(5);
        // 40 minutes at 50/s; one request in 2,000 shed at random; one in 100 up to 40 ms slower (so p99 jitters)
        for (int i = 0; i < 40 * 60 * 50; i++) {
            double latency = 5 + r.nextDouble() * 10 + (r.nextInt(100) == 0 ? r.nextDouble() * 40 : 0);
            b.append(String.format(Locale.ROOT, "{\"ts\":\"%s\",\"status\":%d,\"latency_ms\":%.3f,\"version\":\"1\"}%n",
                    START.plusMillis(i * 20L), r.nextInt(2000) == 0 ? 503 : 200, latency));
        }
        Path f = Files.writeString(dir.resolve("calm.jsonl"), b);
        var t = AccessLogs.read(List.of(f), null, null).table();
        assertThat(Incident.find(t, Timeline.perMinute(t), List.of())).isEmpty();
    }

    @Test
    void detectsAnErrorBurstAfterADeployAndCallsTheDeployOut(@TempDir Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        Random r = new Random(6);
        for (int i = 0; i < 20 * 60 * 12; i++) { // 12 minutes at 20/s from 10:00:30; from 10:07:00 a third of /v1/recommend fails
            Instant ts = START.plusMillis(i * 50L);
            boolean recommend = i % 4 == 0;
            boolean burst = recommend && !ts.isBefore(Instant.parse("2026-11-22T10:07:00Z")) && r.nextInt(3) == 0;
            b.append(String.format(Locale.ROOT, "{\"ts\":\"%s\",\"endpoint\":\"%s\",\"version\":\"2\",\"status\":%d,\"latency_ms\":%.3f}%n", ts,
                    recommend ? "/v1/recommend" : "/v1/search", burst ? 500 : 200, 5 + r.nextDouble() * 10));
        }
        Path f = Files.writeString(dir.resolve("a.jsonl"), b);
        Path events = Files.writeString(dir.resolve("deploys.jsonl"), """
                {"ts":"2026-11-22T10:02:10Z","event":"config reload"}
                {"ts":"2026-11-22T10:06:45Z","event":"deploy recommender 2026.11.22-3"}
                """);
        var t = AccessLogs.read(List.of(f), null, null).table();
        Incident.Found found = Incident.find(t, Timeline.perMinute(t), List.of(MinuteObjective.parse("errors<=1%"))).orElseThrow();
        assertThat(java.time.Duration.between(Instant.parse("2026-11-22T10:07:00Z"), found.start()).abs().toSeconds()).isLessThanOrEqualTo(60);
        assertThat(found.differences().getFirst().dimension()).isIn("endpoint", "status");
        assertThat(found.differences()).anySatisfy(d -> {
            assertThat(d.dimension()).isEqualTo("endpoint");
            assertThat(d.value()).isEqualTo("/v1/recommend");
            assertThat(d.incidentShare()).isEqualTo(1.0);
        });
        assertThat(found.budgetShare()).isGreaterThan(1); // a third of a quarter of the traffic failing for 5 minutes, against 1% of 12
        assertThat(Events.lastBefore(Events.read(List.of(events)), found.start().plusSeconds(59)).orElseThrow().what())
                .isEqualTo("deploy recommender 2026.11.22-3");
    }

    @Test
    void readsADrillJournalsTimelineAsEvents(@TempDir Path dir) throws IOException {
        Path journal = Files.writeString(dir.resolve("journal.json"), """
                {
                  "experiment" : { "title" : "Replica kill behind HAProxy" },
                  "status" : "held",
                  "timeline" : [
                    { "ts" : "2026-11-22T10:05:01.500Z", "event" : "drill: fault: kill_replica replica=2" },
                    { "ts" : "2026-11-22T10:05:01.600Z", "event" : "drill: replica 2 not ready" }
                  ]
                }
                """);
        List<Events.Event> events = Events.read(List.of(journal));
        assertThat(events).extracting(Events.Event::what).containsExactly("drill: fault: kill_replica replica=2", "drill: replica 2 not ready");
        assertThat(events.getFirst().source()).isEqualTo("journal.json timeline[0]");
        assertThat(Events.lastBefore(events, Instant.parse("2026-11-22T10:05:59Z")).orElseThrow().what()).isEqualTo("drill: replica 2 not ready");
    }
}
