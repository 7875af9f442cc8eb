package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** recops review as a person runs it on an access log. */
@Tag("command")
class ReviewCommandTest {

    static Path log(Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < 180; s++) { // three minutes, one request a second; the third minute slow
            b.append(String.format(java.util.Locale.ROOT, "{\"ts\":\"2026-11-22T10:%02d:%02d.000Z\",\"endpoint\":\"/v1/search\",\"model\":\"m\","
                    + "\"version\":\"2\",\"status\":%d,\"latency_ms\":%d,\"degraded\":false}%n", s / 60, s % 60, s == 61 ? 503 : 200, s >= 120 ? 90 : 8));
        }
        b.append("garbage\n");
        return Files.writeString(dir.resolve("access.jsonl"), b);
    }

    @Test
    void anObjectiveMetEveryMinuteSaysSoWithoutAWorstMinute(@TempDir Path dir) throws Exception {
        CommandResult r = CommandResult.run("review", log(dir).toString(), "--slo", "p99<=500ms");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("p99<=500ms: met in all 3 minutes").doesNotContain("breached").doesNotContain("worst 2026");
    }

    @Test
    void printsTheTimelineWithBreachesAsTextAndJson(@TempDir Path dir) throws Exception {
        Path f = log(dir);
        CommandResult text = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--slo", "errors<=0.1%");
        assertThat(text.exitCode()).as("a breached objective fails the check: " + text.err()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(text.out()).contains("180 requests in 3 minutes", "1 malformed line skipped, e.g. access.jsonl:181",
                "p99<=50ms: 1 of 3 minutes breached, worst 2026-11-22T10:02Z", "errors<=0.1%: 1 of 3 minutes breached, worst 2026-11-22T10:01Z",
                "incident 2026-11-22T10:01Z to 2026-11-22T10:03Z", "what differs");

        Path events = Files.writeString(dir.resolve("audit.jsonl"), "{\"ts\":\"2026-11-22T10:00:40Z\",\"action\":\"promote\",\"outcome\":\"ok\","
                + "\"detail\":\"search-encoder 2\"}\n{\"ts\":\"2026-11-22T10:30:00Z\",\"event\":\"later deploy\"}\n");
        Path draft = dir.resolve("postmortem.md");
        CommandResult withEvents = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--slo", "errors<=0.1%", "--events", events.toString(),
                "--out", draft.toString());
        assertThat(Files.readString(draft)).contains("# Postmortem draft: incident of 2026-11-22T10:01Z", "## Impact", "## Detection",
                "## Timeline (UTC)", "| 2026-11-22T10:00:40Z | admin promote ok: search-encoder 2 |", "## What the data shows", "## Action items",
                "Last event before the start: 2026-11-22T10:00:40Z", "![charts/latency.png](charts/latency.png)");
        for (String chart : new String[] {"latency.png", "errors.png"}) {
            java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("charts").resolve(chart).toFile());
            assertThat(png).as(chart).isNotNull();
            assertThat(png.getWidth()).isEqualTo(1000);
        }
        assertThat(withEvents.out()).contains("last event before it: 2026-11-22T10:00:40Z admin promote ok: search-encoder 2 (audit.jsonl:1)",
                "event 2026-11-22T10:30:00Z  later deploy");

        CommandResult lastMinute = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--from", "2026-11-22T10:02:00Z");
        assertThat(lastMinute.out()).contains("60 requests in 1 minute from", "120 requests outside --from/--to left out",
                "p99<=50ms: 1 of 1 minute breached");

        CommandResult json = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--from", "2026-11-22T10:01:00Z", "--format", "json");
        assertThat(json.exitCode()).as(json.err()).isEqualTo(ExitCodes.CHECK_FAILED);
        CommandResult met = CommandResult.run("review", f.toString(), "--slo", "p99<=500ms", "--format", "json");
        assertThat(met.exitCode()).as("every objective met: " + met.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.path("requests").asInt()).isEqualTo(120);
        assertThat(n.path("outside_window").asInt()).isEqualTo(60);
        assertThat(n.path("minutes").get(1).path("breaches").get(0).asText()).isEqualTo("p99<=50ms");
        assertThat(n.path("minutes").get(0).path("shed_share").asDouble()).isCloseTo(1 / 60.0, org.assertj.core.api.Assertions.within(0.001));
        assertThat(n.path("minutes").get(0).has("cache_hit_ratio")).as("no line says anything of a query cache").isFalse();
        assertThat(text.out()).doesNotContainPattern("shed +cache");
    }

    @Test
    void showsTheQueryCacheHitRatioWhenTheLogRecordsIt(@TempDir Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < 120; s++) { // two minutes; three of four searches hit in the first, one in four in the second
            b.append(String.format(java.util.Locale.ROOT, "{\"ts\":\"2026-11-22T10:%02d:%02d.000Z\",\"endpoint\":\"search\",\"status\":200,"
                    + "\"latency_ms\":3,\"cache\":\"%s\"}%n", s / 60, s % 60, (s % 4 != 0) == (s < 60) ? "hit" : "miss"));
        }
        Path f = Files.writeString(dir.resolve("cached.jsonl"), b);
        CommandResult text = CommandResult.run("review", f.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("shed +cache").contains(" 75.0%", " 25.0%");
        JsonNode n = new ObjectMapper().readTree(CommandResult.run("review", f.toString(), "--format", "json").out());
        assertThat(n.path("minutes").get(0).path("cache_hit_ratio").asDouble()).isEqualTo(0.75);
        assertThat(n.path("minutes").get(1).path("cache_hit_ratio").asDouble()).isEqualTo(0.25);
    }

    @Test
    void badInputIsOneLineWithTheRightExitCode(@TempDir Path dir) throws Exception {
        CommandResult missing = CommandResult.run("review", dir.resolve("none.jsonl").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(missing.err().strip()).contains("not found").doesNotContain("\n");
        CommandResult badTime = CommandResult.run("review", log(dir).toString(), "--from", "yesterday");
        assertThat(badTime.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badTime.err().strip()).contains("RFC 3339").doesNotContain("\n");
        CommandResult badSlo = CommandResult.run("review", log(dir).toString(), "--slo", "p99<50");
        assertThat(badSlo.exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    static Path requests(Path dir, String name, int tokensFrom, int tokensSpread) throws Exception {
        StringBuilder b = new StringBuilder();
        java.util.Random r = new java.util.Random(name.hashCode());
        for (int i = 0; i < 2000; i++) {
            b.append(String.format(java.util.Locale.ROOT, "{\"ts\":\"2026-11-22T10:00:%02d.%03dZ\",\"endpoint\":\"/v1/search\",\"status\":200,"
                    + "\"latency_ms\":5,\"k\":10,\"query_tokens\":%d,\"degraded\":false}%n", i / 100 % 60, i % 1000, tokensFrom + r.nextInt(tokensSpread)));
        }
        return Files.writeString(dir.resolve(name), b);
    }

    @Test
    void aPsiBelowTheThresholdReadsAsTheHelpSays() {
        assertThat(ReviewDriftCommand.label(0.05)).isEqualTo("stable");
        assertThat(ReviewDriftCommand.label(0.106)).isEqualTo("moderate");
        assertThat(ReviewDriftCommand.label(0.2)).isEqualTo("moderate");
    }

    @Test
    void driftExitsThreeWhenQueriesGetLongerAndZeroWhenNothingChanged(@TempDir Path dir) throws Exception {
        Path a = requests(dir, "a.jsonl", 3, 8);
        Path same = requests(dir, "b.jsonl", 3, 8);
        Path longer = requests(dir, "c.jsonl", 9, 8);
        CommandResult stable = CommandResult.run("review", "drift", "--baseline", a.toString(), "--current", same.toString());
        assertThat(stable.exitCode()).as(stable.out() + stable.err()).isZero();
        assertThat(stable.out()).contains("query_tokens").doesNotContain("DRIFT");
        CommandResult drift = CommandResult.run("review", "drift", "--baseline", a.toString(), "--current", longer.toString(), "--format", "json");
        assertThat(drift.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode n = new ObjectMapper().readTree(drift.out());
        assertThat(n.path("features").path("query_tokens").path("drift").asBoolean()).isTrue();
        assertThat(n.path("features").path("query_tokens").path("ks").asDouble()).isGreaterThan(0.5);
        assertThat(n.path("features").path("endpoint").path("drift").asBoolean()).isFalse();
    }
}
