package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.TestData;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that disconnects while its request waits in the queue withdraws that request: it is
 * never computed, and it is logged as 499. One inference worker, batch size 1, and a queue filled
 * with long texts first, so the disconnected requests are certainly still queued when they go.
 */
class ClientDisconnectTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUSY_REQUESTS = 3;
    private static final int TEXTS_EACH = 32;
    private static final int LEAVERS = 10;

    @Test
    void queuedRequestsOfClientsThatDisconnectAreNeverComputed() throws Exception {
        Path dir = Files.createTempDirectory("recops-disconnect");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "1",
                TestData.esciProducts(), Optional.of(dir), 1, 1, OptionalInt.of(1), Optional.of(Duration.ZERO), 1024,
                Duration.ofSeconds(30));
        ServerMetrics metrics = new ServerMetrics();
        Path log = dir.resolve("access.jsonl");
        try (SearchService service = new SearchService(options, metrics, ServeListener.NONE);
             AccessLog accessLog = AccessLog.open(log, 1 << 20, 1, metrics::accessLogDropped)) {
            service.load();
            ServeServer server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(5), accessLog);
            try {
                String base = "http://127.0.0.1:" + server.port();
                HttpClient client = HttpClient.newHttpClient();
                String text = "ergonomic office chair with adjustable lumbar support, padded armrests, breathable mesh back, "
                        .repeat(6);
                String busyBody = JSON.writeValueAsString(java.util.Map.of("texts", java.util.Collections.nCopies(TEXTS_EACH, text)));
                List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
                for (int i = 0; i < BUSY_REQUESTS; i++) {
                    busy.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/embed"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(busyBody)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                awaitQueueDepthAbove(client, base, BUSY_REQUESTS * TEXTS_EACH / 2);

                List<Socket> leavers = new ArrayList<>();
                for (int i = 0; i < LEAVERS; i++) {
                    Socket s = new Socket("127.0.0.1", server.port());
                    String body = "{\"query\": \"desk lamp " + i + "\"}";
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "X-Request-Id: gone-" + i + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    leavers.add(s);
                }
                dev.recops.engine.Await.until("the leavers' requests are being served", () -> value(metrics(client, base),
                        "recops_in_flight_requests") >= BUSY_REQUESTS + LEAVERS);
                for (Socket s : leavers) {
                    s.close();
                }
                HttpResponse<String> stayer = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                        .header("Content-Type", "application/json").header("X-Request-Id", "stays")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"desk lamp\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(stayer.statusCode()).isEqualTo(200);
                for (CompletableFuture<HttpResponse<String>> f : busy) {
                    assertThat(f.get().statusCode()).isEqualTo(200);
                }

                String exposition = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(value(exposition, "recops_batch_size_sum\\{[^}]*\\}"))
                        .as("texts computed: the busy ones and the client that stayed, none of those that left")
                        .isEqualTo(BUSY_REQUESTS * TEXTS_EACH + 1);
                assertThat(value(exposition, "recops_requests_total\\{[^}]*code=\"499\"[^}]*\\}")).isEqualTo(LEAVERS);
            } finally {
                server.close();
            }
        }
        List<JsonNode> gone = Files.readAllLines(log).stream().map(ClientDisconnectTest::parse)
                .filter(n -> n.get("request_id").asText().startsWith("gone-")).toList();
        assertThat(gone).hasSize(LEAVERS).allSatisfy(n -> {
            assertThat(n.get("status").asInt()).isEqualTo(499);
            assertThat(n.get("error").asText()).isEqualTo("client_closed");
        });
    }

    private static void awaitQueueDepthAbove(HttpClient client, String base, int depth) {
        dev.recops.engine.Await.until("the queue holds over " + depth, () -> value(metrics(client, base), "recops_queue_depth\\{[^}]*\\}") > depth);
    }

    private static String metrics(HttpClient client, String base) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double value(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError(line, e);
        }
    }
}
