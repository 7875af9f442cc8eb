package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** recops review as a person runs it on an access log. */
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
    void printsTheTimelineWithBreachesAsTextAndJson(@TempDir Path dir) throws Exception {
        Path f = log(dir);
        CommandResult text = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--slo", "errors<=0.1%");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("180 requests in 3 minutes", "1 malformed lines skipped, e.g. access.jsonl:181",
                "p99<=50ms: 1 of 3 minutes breached, worst 2026-11-22T10:02Z", "errors<=0.1%: 1 of 3 minutes breached, worst 2026-11-22T10:01Z",
                "incident 2026-11-22T10:01Z to 2026-11-22T10:03Z", "what differs");

        CommandResult json = CommandResult.run("review", f.toString(), "--slo", "p99<=50ms", "--from", "2026-11-22T10:01:00Z", "--format", "json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.path("requests").asInt()).isEqualTo(120);
        assertThat(n.path("outside_window").asInt()).isEqualTo(60);
        assertThat(n.path("minutes").get(1).path("breaches").get(0).asText()).isEqualTo("p99<=50ms");
        assertThat(n.path("minutes").get(0).path("shed_share").asDouble()).isCloseTo(1 / 60.0, org.assertj.core.api.Assertions.within(0.001));
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
}
