package dev.recops.engine.serve;

import dev.recops.engine.TestData;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The optional data-plane token and the per-client rate limit, in front of a service that is
 * not loaded: a request that passes both gets 503 (still loading), which is all this needs.
 */
class DataPlaneGuardTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static SearchService service;
    private static ServeServer server;
    private static String token;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("recops-guard");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "", TestData.esciProducts(),
                Optional.empty(), 1, 1, OptionalInt.empty(), Optional.empty(), 16, Duration.ofSeconds(1));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, metrics, ServeListener.NONE);
        server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(1), AccessLog.DISABLED);
        server.requireToken(BearerToken.open(dir.resolve("data-token")));
        token = Files.readString(dir.resolve("data-token")).strip();
        server.limitRate(new RateLimiter(0.5, 2));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        service.close();
    }

    private static HttpResponse<String> search(String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"lamp\"}"));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void queriesNeedTheTokenAndEachClientGetsItsRateThen429WithRetryAfter() throws Exception {
        HttpResponse<String> noToken = search(null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).contains("\"unauthorized\"");
        assertThat(search("Bearer wrong-wrong-wrong-wrong").statusCode()).isEqualTo(401);
        assertThat(search("Bearer " + token).statusCode()).as("past the guard: still loading").isEqualTo(503);
        assertThat(search("Bearer " + token).statusCode()).isEqualTo(503);
        HttpResponse<String> limited = search("Bearer " + token);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isBetween(1, 2));
        assertThat(limited.body()).contains("\"rate_limited\"");
        String metrics = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("recops_rate_limited_total{endpoint=\"search\"} 1");
        assertThat(CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).as("health needs no token").isEqualTo(200);
    }
}
