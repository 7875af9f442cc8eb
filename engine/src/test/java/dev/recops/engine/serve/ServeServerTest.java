package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.TestData;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP contract of the data plane, against the real default models on a free port. */
class ServeServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static SearchService service;
    private static ServeServer server;
    private static String base;
    private static AccessLog accessLog;
    private static Path accessLogFile;

    @BeforeAll
    static void start() throws IOException {
        Path cache = Files.createTempDirectory("recops-test-cache");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "1",
                TestData.esciProducts(), Optional.of(cache), 2, 1,
                java.util.OptionalInt.empty(), Optional.empty(), 64, java.time.Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, metrics, ServeListener.NONE);
        accessLogFile = cache.resolve("access.jsonl");
        accessLog = AccessLog.open(accessLogFile, 1 << 20, 1, metrics::accessLogDropped);
        server = ServeServer.start("127.0.0.1", 0, service, metrics, java.time.Duration.ofSeconds(5), accessLog);
        base = "http://127.0.0.1:" + server.port();
        service.load();
    }

    @AfterAll
    static void stop() {
        server.close();
        service.close();
        accessLog.close();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode error = json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void searchFindsGamingChairsWithTheDocumentedResponseShape() throws Exception {
        HttpResponse<String> response = post("/v1/search", "{\"query\": \"gaming chair with footrest and speakers\", \"k\": 5}");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("model").get("name").asText()).isEqualTo("search-encoder");
        assertThat(body.get("model").get("version").asText()).isEqualTo("1");
        assertThat(body.get("results")).hasSize(5);
        assertThat(body.get("results").get(0).get("title").asText()).containsIgnoringCase("gaming chair");
        assertThat(body.get("results").get(0).has("product_id")).isTrue();
        assertThat(body.get("degraded").asBoolean()).isFalse();
        assertThat(body.get("timings_ms").get("total").asDouble()).isPositive();
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue(body.get("request_id").asText());
    }

    @Test
    void searchCanTargetAnotherLoadedVersion() throws Exception {
        JsonNode body = json(post("/v1/search", "{\"query\": \"desk lamp\", \"k\": 1, \"version\": \"2\"}"));
        assertThat(body.get("model").get("version").asText()).isEqualTo("2");
    }

    @Test
    void everySearchModeAnswersAndLexicalNeedsNoModel() throws Exception {
        for (String mode : List.of("vector", "lexical", "hybrid", "hybrid-weighted")) {
            HttpResponse<String> r = post("/v1/search", "{\"query\": \"gaming chair\", \"k\": 3, \"mode\": \"" + mode + "\"}");
            assertThat(r.statusCode()).as(mode + ": " + r.body()).isEqualTo(200);
            JsonNode body = json(r);
            assertThat(body.get("degraded").asBoolean()).isFalse();
            assertThat(body.get("results")).hasSize(3);
            assertThat(body.get("results").get(0).get("title").asText()).as(mode).containsIgnoringCase("chair");
            if (mode.equals("lexical")) {
                assertThat(body.get("timings_ms").get("encode").asDouble()).isZero();
            }
        }
    }

    @Test
    void searchAppliesFilters() throws Exception {
        JsonNode body = json(post("/v1/search", "{\"query\": \"chair\", \"k\": 3, \"filters\": {\"brand\": \"gtracing\"}}"));
        assertThat(body.get("results")).isNotEmpty();
        body.get("results").forEach(r -> assertThat(r.get("title").asText()).containsIgnoringCase("GTRACING"));
    }

    @Test
    void clientRequestIdIsEchoed() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                .header("Content-Type", "application/json").header("X-Request-Id", "abc-123")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"lamp\"}")));
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("abc-123");
        assertThat(json(response).get("request_id").asText()).isEqualTo("abc-123");
    }

    @Test
    void recommendExcludesTheSeenProducts() throws Exception {
        JsonNode body = json(post("/v1/recommend", "{\"recent_product_ids\": [\"B07QGY4VGK\", \"B07PHT5JLM\"], \"k\": 5}"));
        assertThat(body.get("results")).hasSize(5);
        body.get("results").forEach(r -> assertThat(r.get("product_id").asText()).isNotIn("B07QGY4VGK", "B07PHT5JLM"));
        assertThat(body.get("results").get(0).get("title").asText()).containsIgnoringCase("chair");
    }

    @Test
    void embedReturnsOneNormalisedVectorPerText() throws Exception {
        JsonNode body = json(post("/v1/embed", "{\"texts\": [\"sofa\", \"coffee table\"]}"));
        assertThat(body.get("dimension").asInt()).isEqualTo(384);
        assertThat(body.get("embeddings")).hasSize(2);
        double norm = 0;
        for (JsonNode x : body.get("embeddings").get(0)) {
            norm += x.asDouble() * x.asDouble();
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void malformedJsonIs400() throws Exception {
        assertError(post("/v1/search", "{\"query\": "), 400, "invalid_json");
    }

    @Test
    void missingQueryIs400() throws Exception {
        assertError(post("/v1/search", "{\"k\": 3}"), 400, "missing_field");
    }

    @Test
    void emptyQueryIs400() throws Exception {
        assertError(post("/v1/search", "{\"query\": \"   \"}"), 400, "invalid_field");
    }

    @Test
    void kOutsideOneToHundredIs400() throws Exception {
        assertError(post("/v1/search", "{\"query\": \"sofa\", \"k\": 0}"), 400, "invalid_field");
        assertError(post("/v1/search", "{\"query\": \"sofa\", \"k\": 101}"), 400, "invalid_field");
        assertError(post("/v1/search", "{\"query\": \"sofa\", \"k\": \"ten\"}"), 400, "invalid_field");
    }

    @Test
    void unknownFilterIs400() throws Exception {
        assertError(post("/v1/search", "{\"query\": \"sofa\", \"filters\": {\"size\": \"L\"}}"), 400, "invalid_field");
    }

    @Test
    void unknownProductIdsAre400AndNamed() throws Exception {
        HttpResponse<String> response = post("/v1/recommend", "{\"recent_product_ids\": [\"B07QGY4VGK\", \"NOPE1\"]}");
        assertError(response, 400, "unknown_product");
        assertThat(json(response).get("error").get("message").asText()).contains("NOPE1");
    }

    @Test
    void unknownVersionIs404() throws Exception {
        assertError(post("/v1/search", "{\"query\": \"sofa\", \"version\": \"9\"}"), 404, "version_not_found");
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"sofa\"}"))), 415, "unsupported_media_type");
    }

    @Test
    void bodyOverOneMebibyteIs413() throws Exception {
        String big = "{\"query\": \"" + "a".repeat(RequestBodies.MAX_BODY_BYTES) + "\"}";
        assertError(post("/v1/search", big), 413, "body_too_large");
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405() throws Exception {
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/nothing")).GET()), 404, "not_found");
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).GET()), 405, "method_not_allowed");
    }

    @Test
    void theServerKeepsServingAfterBadRequests() throws Exception {
        for (int i = 0; i < 3; i++) {
            post("/v1/search", "garbage");
        }
        assertThat(post("/v1/search", "{\"query\": \"rug\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void healthEndpointsFollowKServe() throws Exception {
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v2/health/live"))).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready")));
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).get("versions")).hasSize(2);
    }

    @Test
    void metricsCountRequestsAndRecordLatencyInSeconds() throws Exception {
        post("/v1/search", "{\"query\": \"sofa\"}");
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create(base + "/metrics")));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("recops_requests_total{code=\"200\",endpoint=\"search\",model=\"search-encoder\",version=\"1\"}")
                .contains("recops_request_duration_seconds_bucket{endpoint=\"search\",model=\"search-encoder\",version=\"1\",le=\"0.005\"}")
                .contains("recops_model_loaded{model=\"search-encoder\",version=\"2\"} 1");
    }

    @Test
    void everyRequestIsLoggedAsOneJsonLineWithTheContractFields() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                .header("Content-Type", "application/json").header("X-Request-Id", "log-me-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"standing desk\", \"k\": 4}")));
        assertThat(response.statusCode()).isEqualTo(200);
        post("/v1/search", "{\"query\": \"\"}");
        JsonNode line = awaitLogLine("log-me-1");
        assertThat(line.get("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(line.get("endpoint").asText()).isEqualTo("search");
        assertThat(line.get("model").asText()).isEqualTo("search-encoder");
        assertThat(line.get("version").asText()).isEqualTo("1");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("k").asInt()).isEqualTo(4);
        assertThat(line.get("results").asInt()).isEqualTo(4);
        assertThat(line.get("query_tokens").asInt()).isEqualTo(4); // [CLS] standing desk [SEP]
        assertThat(line.get("batch_size").asInt()).isPositive();
        assertThat(line.get("latency_ms").asDouble()).isPositive();
        assertThat(line.has("queue_ms") && line.has("inference_ms") && line.has("degraded")).isTrue();
        assertThat(line.get("error").isNull()).isTrue();
        assertThat(Files.readString(accessLogFile)).doesNotContain("standing desk");
        assertThat(Files.readAllLines(accessLogFile).stream().map(ServeServerTest::parse)
                .filter(n -> n.get("status").asInt() == 400 && "invalid_field".equals(n.get("error").asText()))).isNotEmpty();
    }

    @Test
    void aDeadlineTooShortForTheQueueIsAnsweredWith504OrShedWith503() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                .header("Content-Type", "application/json").header("X-Request-Timeout-Ms", "1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"a long query about tables and chairs for a dining room\"}")));
        assertThat(response.statusCode()).isIn(200, 503, 504);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "application/json")
                .header("X-Request-Timeout-Ms", "soon").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"x\"}"))).statusCode())
                .isEqualTo(400);
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(line, e);
        }
    }

    private static JsonNode awaitLogLine(String requestId) {
        JsonNode[] found = new JsonNode[1];
        dev.recops.engine.Await.until("an access log line for " + requestId, () -> {
            if (Files.exists(accessLogFile)) {
                for (String l : Files.readAllLines(accessLogFile)) {
                    JsonNode n = parse(l);
                    if (n.get("request_id").asText().equals(requestId)) {
                        found[0] = n;
                        return true;
                    }
                }
            }
            return false;
        });
        return found[0];
    }

    @Test
    void kserveV2MetadataReadinessAndInferWork() throws Exception {
        JsonNode server = json(send(HttpRequest.newBuilder(URI.create(base + "/v2"))));
        assertThat(server.get("name").asText()).isEqualTo("recops");
        JsonNode meta = json(send(HttpRequest.newBuilder(URI.create(base + "/v2/models/search-encoder"))));
        assertThat(meta.get("versions")).hasSize(2);
        assertThat(meta.get("inputs").get(0).get("datatype").asText()).isEqualTo("BYTES");
        assertThat(meta.get("outputs").get(0).get("shape").get(1).asInt()).isEqualTo(384);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v2/models/search-encoder/versions/2/ready"))).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v2/models/search-encoder/versions/7/ready"))).statusCode()).isEqualTo(503);

        HttpResponse<String> infer = post("/v2/models/search-encoder/versions/2/infer",
                "{\"id\": \"q1\", \"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [2, 1], \"data\": [[\"sofa\"], [\"desk lamp\"]]}]}");
        assertThat(infer.statusCode()).isEqualTo(200);
        JsonNode out = json(infer);
        assertThat(out.get("model_version").asText()).isEqualTo("2");
        assertThat(out.get("id").asText()).isEqualTo("q1");
        JsonNode embedding = out.get("outputs").get(0);
        assertThat(embedding.get("datatype").asText()).isEqualTo("FP32");
        assertThat(embedding.get("shape").get(0).asInt()).isEqualTo(2);
        assertThat(embedding.get("data")).hasSize(2 * 384);
    }

    @Test
    void kserveV2ErrorsUseItsOwnShape() throws Exception {
        HttpResponse<String> wrongShape = post("/v2/models/search-encoder/infer",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [3], \"data\": [\"a\"]}]}");
        assertThat(wrongShape.statusCode()).isEqualTo(400);
        assertThat(json(wrongShape).get("error").asText()).contains("shape");
        HttpResponse<String> unknown = post("/v2/models/other/infer", "{\"inputs\": []}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").isTextual()).isTrue();
    }

    /**
     * The exposition passes Prometheus' own linter. promtool comes with Debian's prometheus
     * package; scripts/test installs it, and a skip is listed in its summary.
     */
    @Test
    void metricsPassPromtoolCheckMetrics() throws Exception {
        java.util.Optional<Path> promtool = java.util.stream.Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
        if (promtool.isEmpty()) {
            org.junit.jupiter.api.Assumptions.abort("promtool is not installed (Debian package prometheus; scripts/test installs it)");
        }
        post("/v1/search", "{\"query\": \"sofa\"}");
        post("/v1/search", "{\"query\": \"\"}");
        String text = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))).body();
        Process p = new ProcessBuilder(promtool.get().toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String report = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("promtool check metrics: %s", report).isZero();
        assertThat(report).isBlank();

        HttpResponse<String> open = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0"));
        assertThat(open.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("openmetrics"));
        assertThat(open.body().strip()).endsWith("# EOF");
    }

    /**
     * Every recops metric that the shipped alerting rules and dashboard query is one this server
     * exposes, so a renamed metric cannot silently blind the alerts.
     */
    @Test
    void theShippedRulesAndDashboardOnlyUseMetricsThatExist() throws Exception {
        post("/v1/search", "{\"query\": \"sofa\"}");
        String exposition = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))).body();
        java.util.Set<String> exposed = new java.util.HashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^(recops_\\w+)[{ ]").matcher(exposition);
        while (m.find()) {
            exposed.add(m.group(1).replaceAll("_(bucket|count|sum)$", ""));
        }
        Path deploy = TestData.testdata().resolveSibling("deploy");
        for (Path file : List.of(deploy.resolve("prometheus/recops-rules.yml"), deploy.resolve("grafana/recops-serve.json"))) {
            java.util.regex.Matcher used = java.util.regex.Pattern.compile("\\b(recops_[a-z_]+)").matcher(Files.readString(file));
            java.util.Set<String> names = new java.util.TreeSet<>();
            while (used.find()) {
                names.add(used.group(1).replaceAll("_(bucket|count|sum)$", ""));
            }
            assertThat(names).as("metrics queried by %s", file.getFileName()).isNotEmpty();
            assertThat(exposed).as("metrics exposed, against %s", file.getFileName()).containsAll(names);
        }
    }

    /** At least 50 malformed requests: every one a 4xx with a JSON error, no stack trace; the server stays ready. */
    @Test
    void aCorpusOfMalformedRequestsAllGet4xxAndTheServerStaysReady() throws Exception {
        List<String> searchBodies = List.of(
                "", " ", "{", "}", "[", "[]", "{\"query\": ", "{\"query\": \"lamp\"", "{\"query\": \"lamp\",}", "{query: \"lamp\"}",
                "{'query': 'lamp'}", "null", "true", "42", "\"lamp\"", "{\"query\": null}", "{\"query\": 42}", "{\"query\": [\"lamp\"]}",
                "{\"query\": {\"text\": \"lamp\"}}", "{\"query\": \"\"}", "{\"query\": \"   \"}", "{\"query\": \"lamp\", \"k\": 0}",
                "{\"query\": \"lamp\", \"k\": -1}", "{\"query\": \"lamp\", \"k\": 101}", "{\"query\": \"lamp\", \"k\": 1e308}",
                "{\"query\": \"lamp\", \"k\": 99999999999999999999}", "{\"query\": \"lamp\", \"k\": NaN}", "{\"query\": \"lamp\", \"k\": \"10\"}",
                "{\"query\": \"lamp\", \"k\": 2.5}", "{\"query\": \"lamp\", \"k\": true}", "{\"query\": \"lamp\", \"k\": Infinity}",
                "{\"query\": \"lamp\", \"filters\": []}", "{\"query\": \"lamp\", \"filters\": {\"size\": \"xl\"}}",
                "{\"query\": \"lamp\", \"filters\": {\"brand\": 7}}", "{\"query\": \"lamp\", \"version\": 2.5}",
                "{\"query\": \"lamp\", \"version\": \"../../etc\"}", "{\"query\": \"lamp\", \"unknown\": 1}",
                "{\"query\": \"lamp\", \"mode\": \"semantic\"}", "{\"query\": \"lamp\", \"mode\": 3}", "{\"query\": \"lamp\", \"mode\": \"default\"}",
                "{\"query\": \"lamp\u0000\"}", "{\"query\": \"lamp\\u0000\"}", "{\"query\": \"lamp\\u001b[31m\"}", "{\"query\": \"lamp\u0007\\b\"}", "{\"query\": \"la\nmp\"}",
                "{\"query\": \"\\ud800\"}", "{\"query\": \"lamp\"} trailing", "{\"query\": \"lamp\"}{\"query\": \"lamp\"}",
                "[".repeat(5_000) + "]".repeat(5_000), "{\"a\":".repeat(3_000) + "1" + "}".repeat(3_000),
                "{\"query\": \"" + "x".repeat(200_000) + "\", \"k\": -5}");
        List<String> problems = new java.util.ArrayList<>();
        int sent = 0;
        for (String body : searchBodies) {
            problems.addAll(check("/v1/search", HttpRequest.BodyPublishers.ofString(body), body));
            sent++;
        }
        byte[][] rawBodies = {
            {'{', '"', 'q', 'u', 'e', 'r', 'y', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
            {'{', '"', 'q', 'u', 'e', 'r', 'y', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'},
            {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'},
            {'{', '"', 'q', 'u', 'e', 'r', 'y', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ',', '"', 'k', '"', ':', '0', '}'},
        };
        for (byte[] raw : rawBodies) {
            problems.addAll(check("/v1/search", HttpRequest.BodyPublishers.ofByteArray(raw), "raw bytes " + java.util.HexFormat.of().formatHex(raw)));
            sent++;
        }
        for (String body : List.of("{}", "{\"recent_product_ids\": []}", "{\"recent_product_ids\": \"B07QGY4VGK\"}",
                "{\"recent_product_ids\": [42]}", "{\"recent_product_ids\": [\"nope\"]}", "{\"recent_product_ids\": [\"B07QGY4VGK\"], \"k\": 1000}")) {
            problems.addAll(check("/v1/recommend", HttpRequest.BodyPublishers.ofString(body), body));
            sent++;
        }
        for (String body : List.of("{}", "{\"texts\": []}", "{\"texts\": \"lamp\"}", "{\"texts\": [1, 2]}", "{\"texts\": [\"\"]}",
                "{\"texts\": [" + "\"a\",".repeat(100) + "\"a\"]}")) {
            problems.addAll(check("/v1/embed", HttpRequest.BodyPublishers.ofString(body), body));
            sent++;
        }
        for (String body : List.of("{}", "{\"inputs\": []}", "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1.0]}]}",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [7]}]}", "{\"inputs\": {\"name\": \"text\"}}")) {
            problems.addAll(check("/v2/models/search-encoder/infer", HttpRequest.BodyPublishers.ofString(body), body));
            sent++;
        }
        assertThat(sent).isGreaterThanOrEqualTo(50);
        assertThat(problems).isEmpty();
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready"))).statusCode()).isEqualTo(200);
        assertThat(post("/v1/search", "{\"query\": \"desk lamp\"}").statusCode()).isEqualTo(200);
    }

    private static List<String> check(String path, HttpRequest.BodyPublisher body, String what) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").POST(body));
        String label = path + " " + (what.length() > 60 ? what.substring(0, 60) + "..." : what);
        List<String> problems = new java.util.ArrayList<>();
        if (r.statusCode() < 400 || r.statusCode() >= 500) {
            problems.add(label + ": status " + r.statusCode());
        }
        if (r.body().contains("Exception") || r.body().contains("\tat ") || !r.body().startsWith("{\"error\"")) {
            problems.add(label + ": body " + r.body().substring(0, Math.min(200, r.body().length())));
        }
        return problems;
    }

    /**
     * The framing layer, below JSON: broken lengths and chunking, header and line limits,
     * pipelining, {@code Expect: 100-continue}, absolute-form targets. Each gets a 4xx (or, for
     * HTTP/1.0, which Helidon does not speak, its 505 that never reaches the metrics), never a 500;
     * the server counts no server error and stays ready.
     */
    @Test
    void framingErrorsAre4xxNeverA5xxAndTheServerStaysReady() throws Exception {
        String json = "Content-Type: application/json\r\n";
        String post = "POST /v1/search HTTP/1.1\r\nHost: x\r\n" + json;
        String chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
        String body = "{\"query\":\"a\"}";
        record Case(String name, String request, boolean halfClose, String expected) {}
        List<Case> cases = List.of(
                new Case("body shorter than Content-Length", post + "Content-Length: 100\r\n\r\n" + body, true, "400"),
                new Case("chunk size not hexadecimal", chunked + "ZZ\r\n" + body + "\r\n0\r\n\r\n", false, "400"),
                new Case("chunk size over 32 bits", chunked + "FFFFFFFFFFFFFFFF\r\n" + body + "\r\n0\r\n\r\n", false, "400"),
                new Case("chunk extension", chunked + "d;foo=bar\r\n" + body + "\r\n0\r\n\r\n", false, "400"),
                new Case("CR without LF after the last chunk (zzuf)", chunked + "d\r\n" + body + "\r\n0\r*\r\n", false, "400"),
                new Case("chunk shorter than its size", chunked + "20\r\n" + body, true, "400"),
                new Case("chunked body over 1 MiB, as with a Content-Length", chunked + Integer.toHexString((1 << 20) + 64) + "\r\n"
                        + "{\"query\":\"" + "a".repeat((1 << 20) + 64 - 14) + "\"}" + "\r\n0\r\n\r\n", false, "413"),
                new Case("negative Content-Length", post + "Content-Length: -5\r\n\r\n", false, "400"),
                new Case("two Content-Lengths", post + "Content-Length: 13\r\nContent-Length: 14\r\n\r\n" + body, false, "400"),
                new Case("Content-Length with chunked", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n" + body + "\r\n0\r\n\r\n", false, "400"),
                new Case("header over the limit", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", false, "400"),
                new Case("request line over the limit", "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", false, "414"),
                new Case("a byte no method token may hold (zzuf)", "P\u00d3ST /v1/search HTTP/1.1\r\nHost: x\r\n\r\n", false, "400"),
                new Case("a method starting with @ (zzuf)", "@OST /v1/search HTTP/1.1\r\nHost: x\r\n\r\n", false, "400"),
                new Case("unknown protocol version", "GET /v2/health/live HTTP/9.9\r\nHost: x\r\n\r\n", false, "400"),
                new Case("no Host", "GET /v2/health/live HTTP/1.1\r\n\r\n", false, "400"),
                new Case("bare LF line ends", "GET /v2/health/live HTTP/1.1\nHost: x\n\n", false, "400"),
                new Case("space in a header name", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", false, "400"),
                new Case("obsolete line folding", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: y\r\n  z\r\n\r\n", false, "400"),
                new Case("HTTP/1.0", "POST /v1/search HTTP/1.0\r\n" + json + "Content-Length: 13\r\n\r\n" + body, false, "505"),
                new Case("absolute-form target", "POST http://127.0.0.1/v1/search HTTP/1.1\r\nHost: x\r\n" + json + "Content-Length: 13\r\nConnection: close\r\n\r\n" + body, false, "200"),
                new Case("Expect: 100-continue", post + "Expect: 100-continue\r\nContent-Length: 13\r\nConnection: close\r\n\r\n" + body, false, "100 200"),
                new Case("two pipelined requests", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false, "200 200"));
        double serverErrorsBefore = serverErrors();
        List<String> problems = new java.util.ArrayList<>();
        for (Case c : cases) {
            String statuses = String.join(" ", RawHttp.statuses(server.port(), c.request(), c.halfClose()));
            if (!statuses.equals(c.expected())) {
                problems.add(c.name() + ": " + (statuses.isEmpty() ? "no answer" : statuses) + ", expected " + c.expected());
            }
        }
        assertThat(problems).isEmpty();
        assertThat(serverErrors()).as("5xx counted in recops_requests_total").isEqualTo(serverErrorsBefore);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready"))).statusCode()).isEqualTo(200);
    }

    private static double serverErrors() throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + "/metrics"))).body().lines()
                .filter(l -> l.startsWith("recops_requests_total{") && l.contains("code=\"5"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
