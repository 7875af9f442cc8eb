package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.TestData;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin API: authentication, input limits, version lifecycle, faults and the audit log. */
class AdminServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static Path dir;
    private static SearchService service;
    private static ServeServer server;
    private static AdminServer admin;
    private static AuditLog audit;
    private static String token;
    private static String base;
    private static String adminBase;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("recops-admin");
        Path repo = dir.resolve("models");
        for (String v : List.of("1", "2")) {
            copy(TestData.models().resolve("search-encoder").resolve(v), repo.resolve("search-encoder").resolve(v));
        }
        // Version 3: version 2's files with a model that does not match its checksum.
        copy(TestData.models().resolve("search-encoder/2"), repo.resolve("search-encoder/3"));
        Files.write(repo.resolve("search-encoder/3/model.onnx"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "1", TestData.esciProducts(),
                Optional.of(dir.resolve("cache")), 2, 1, OptionalInt.empty(), Optional.empty(), 256, Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, ServiceSetup.DEFAULT.withStateFile(dir.resolve("state.json")), metrics, ServeListener.NONE);
        server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(5), AccessLog.DISABLED);
        BearerToken tokens = BearerToken.open(dir.resolve("admin-token"));
        token = Files.readString(dir.resolve("admin-token")).strip();
        audit = AuditLog.open(Optional.of(dir.resolve("audit.jsonl")));
        admin = AdminServer.start("127.0.0.1", 0, service, tokens, audit, metrics, true);
        base = "http://127.0.0.1:" + server.port();
        adminBase = "http://127.0.0.1:" + admin.port() + "/admin/v1";
        service.load();
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @AfterAll
    static void stop() {
        admin.close();
        server.close();
        service.close();
    }

    @AfterEach
    void backToVersionOne() throws Exception {
        service.faults().clear("");
        service.traffic(TrafficPolicy.NONE);
        if (!service.versions().contains("2")) {
            service.loadVersion("2");
        }
        service.promote("1");
    }

    private static HttpResponse<String> call(String method, String path, String auth, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminBase + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> admin(String method, String path) throws Exception {
        return call(method, path, "Bearer " + token, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> search(String query) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"" + query + "\", \"k\": 3}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void callsWithoutTheRightTokenGet401AndChangeNothing() throws Exception {
        for (String auth : new String[] {null, "Bearer wrong-token-wrong-token", "Basic " + token, "Bearer", token}) {
            HttpResponse<String> r = call("POST", "/versions/2/promote", auth, null);
            assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(json(r).get("error").get("code").asText()).isEqualTo("unauthorized");
        }
        assertThat(call("GET", "/nothing-here", null, null).statusCode()).as("unknown routes are not revealed").isEqualTo(401);
        assertThat(service.primaryVersion()).isEqualTo("1");
    }

    @Test
    void versionNamesThatCouldLeaveTheRepositoryAre400() throws Exception {
        for (String bad : List.of("..", "%2e%2e", ".hidden", "-x", "a%20b", "x".repeat(65), "%2E%2E%2Fetc")) {
            HttpResponse<String> r = admin("POST", "/versions/" + bad + "/load");
            assertThat(r.statusCode()).as(bad).isIn(400, 404);
            assertThat(r.body()).as(bad).doesNotContain("Exception");
        }
        assertThat(admin("POST", "/versions/%2e%2e/load").statusCode()).isEqualTo(400);
    }

    @Test
    void anOversizedBodyIs413() throws Exception {
        HttpResponse<String> r = call("POST", "/faults", "Bearer " + token, "{\"x\": \"" + "a".repeat(AdminServer.MAX_BODY_BYTES) + "\"}");
        assertThat(r.statusCode()).isEqualTo(413);
    }

    @Test
    void promoteRollbackUnloadAndLoadChangeWhatAnswers() throws Exception {
        assertThat(json(search("desk lamp")).get("model").get("version").asText()).isEqualTo("1");
        assertThat(json(admin("POST", "/versions/2/promote")).get("previous").asText()).isEqualTo("1");
        assertThat(json(search("desk lamp")).get("model").get("version").asText()).isEqualTo("2");
        assertThat(json(admin("POST", "/rollback")).get("primary_version").asText()).isEqualTo("1");
        assertThat(json(search("desk lamp")).get("model").get("version").asText()).isEqualTo("1");

        assertThat(admin("POST", "/versions/1/unload").statusCode()).as("the primary").isEqualTo(409);
        assertThat(admin("POST", "/versions/2/unload").statusCode()).isEqualTo(200);
        assertThat(json(admin("GET", "/status")).get("loaded_versions").toString()).isEqualTo("[\"1\"]");
        assertThat(admin("POST", "/versions/2/load").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/versions/2/load").statusCode()).as("loaded already").isEqualTo(409);
        assertThat(admin("POST", "/versions/9/load").statusCode()).isEqualTo(404);
        assertThat(admin("POST", "/versions/9/promote").statusCode()).isEqualTo(404);
    }

    @Test
    void aCorruptedVersionIsRejectedWithItsReasonAndTheServerKeepsServing() throws Exception {
        HttpResponse<String> r = admin("POST", "/versions/3/load");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(json(r).get("error").get("message").asText()).contains("checksum");
        JsonNode versions = json(admin("GET", "/versions")).get("versions");
        assertThat(versions.toString()).contains("\"version\":\"3\",\"valid\":true,\"loaded\":false"); // its manifest is fine
        assertThat(service.primaryVersion()).isEqualTo("1");
        assertThat(search("desk lamp").statusCode()).isEqualTo(200);
    }

    @Test
    void faultsSlowOrFailAVersionUntilClearedAndShowInStatusAndMetrics() throws Exception {
        HttpResponse<String> r = call("POST", "/faults", "Bearer " + token, "{\"version\": \"1\", \"latency_ms\": 400, \"duration_s\": 30}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        long t0 = System.nanoTime();
        assertThat(search("lamp").statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(400);
        assertThat(json(admin("GET", "/status")).get("fault_injection").get("active").get(0).get("kinds").toString()).isEqualTo("[\"latency\"]");
        String metrics = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("recops_fault_active{kind=\"latency\",version=\"1\"} 1");

        call("POST", "/faults", "Bearer " + token, "{\"version\": \"1\", \"error_rate\": 1, \"duration_s\": 30}");
        HttpResponse<String> failed = search("lamp");
        assertThat(failed.statusCode()).as("the model fails; the lexical fallback answers").isEqualTo(200);
        assertThat(json(failed).get("degraded_reason").asText()).isEqualTo("model_error");
        assertThat(json(admin("DELETE", "/faults")).get("cleared").asInt()).isEqualTo(1);
        assertThat(search("lamp").statusCode()).isEqualTo(200);

        for (String bad : List.of("{\"version\": \"1\"}", "{\"latency_ms\": \"slow\"}", "{\"error_rate\": 2}", "{\"latency_ms\": 5, \"duration_s\": 0}",
                "[1]", "{\"version\": \"../1\", \"latency_ms\": 5}")) {
            assertThat(call("POST", "/faults", "Bearer " + token, bad).statusCode()).as(bad).isEqualTo(400);
        }
    }

    @Test
    void aSlowModelIsBypassedWithinTheRequestTimeoutAndComesBackByItself() throws Exception {
        call("POST", "/faults", "Bearer " + token, "{\"version\": \"1\", \"latency_ms\": 1500, \"duration_s\": 3}");
        java.util.Set<String> reasons = new java.util.TreeSet<>();
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "application/json")
                    .header("X-Request-Timeout-Ms", "1000").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"gaming chair\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // A degraded answer with reason "timeout" means the server gave up on the 1500 ms model
            // before the 1000 ms deadline; how long that took on the client's clock is not asserted.
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode body = json(r);
            assertThat(body.get("degraded").asBoolean()).isTrue();
            assertThat(body.get("results").get(0).get("title").asText()).containsIgnoringCase("chair");
            reasons.add(body.get("degraded_reason").asText());
        }
        assertThat(reasons).as("slow calls time out, then the breaker opens").contains("timeout", "breaker_open");
        String metrics = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("recops_breaker_state{model=\"search-encoder\",version=\"1\"} 2");
        // After the fault expires, the breaker half-opens within its 5 s and one probe closes it.
        dev.recops.engine.Await.until("the fault has expired", () -> service.faults().active().isEmpty());
        dev.recops.engine.Await.until("the model answers again without anyone clearing anything",
                () -> !json(search("gaming chair")).get("degraded").asBoolean());
    }

    @Test
    void aCanaryGetsItsShareStickyByKeyAndTheShadowIsMeasured() throws Exception {
        HttpResponse<String> set = call("PUT", "/traffic", "Bearer " + token,
                "{\"canary\": {\"version\": \"2\", \"percent\": 10}, \"shadow\": \"2\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        int toCanary = 0;
        for (int i = 0; i < 200; i++) {
            if (json(search("lamp")).get("model").get("version").asText().equals("2")) {
                toCanary++;
            }
        }
        assertThat(toCanary).as("about 10% of 200").isBetween(6, 40);
        java.util.Set<String> sides = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/search")).header("Content-Type", "application/json")
                    .header("X-Recops-Key", "session-42").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"lamp\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            sides.add(json(r).get("model").get("version").asText());
        }
        assertThat(sides).as("one routing key, one side").hasSize(1);
        String metrics = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("recops_shadow_requests_total\\{outcome=\"ok\",version=\"2\"} [1-9]")
                .contains("recops_shadow_overlap_ratio_count{version=\"2\"}");
        assertThat(json(admin("GET", "/traffic")).get("canary").get("percent").asInt()).isEqualTo(10);
        assertThat(Files.readString(dir.resolve("state.json"))).contains("\"percent\" : 10");
        assertThat(call("PUT", "/traffic", "Bearer " + token, "{\"canary\": {\"version\": \"1\", \"percent\": 10}}").statusCode())
                .as("the primary cannot be its own canary").isEqualTo(409);
        assertThat(call("PUT", "/traffic", "Bearer " + token, "{\"canary\": {\"version\": \"2\", \"percent\": 101}}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/traffic", "Bearer " + token, "{\"canary\": {\"version\": \"9\", \"percent\": 5}}").statusCode()).isEqualTo(404);
        admin("POST", "/versions/2/promote");
        assertThat(json(admin("GET", "/traffic")).get("canary").get("version").asText()).as("a promoted canary graduates").isEmpty();
    }

    @Test
    void automaticCanaryAnalysisRollsBackAFailingCanary() throws Exception {
        // Latency never decides here (ratio 1000): version 2 is about twice as slow as version 1 by nature.
        Runnable stopAnalysis = service.analyseCanaries(new CanaryAnalysis(Duration.ofMillis(300), 0.2, 1000, 5));
        try {
            call("POST", "/faults", "Bearer " + token, "{\"version\": \"2\", \"error_rate\": 1, \"duration_s\": 30}");
            assertThat(call("PUT", "/traffic", "Bearer " + token, "{\"canary\": {\"version\": \"2\", \"percent\": 50}}").statusCode()).isEqualTo(200);
            dev.recops.engine.Await.until("the failing canary leaves the traffic policy", () -> {
                search("lamp");
                return service.traffic().canaryVersion().isEmpty();
            });
        } finally {
            stopAnalysis.run();
        }
        String metrics = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("recops_canary_decisions_total\\{decision=\"rollback\",version=\"2\"} [1-9]");
        assertThat(json(search("lamp")).get("model").get("version").asText()).isEqualTo("1");
        JsonNode verdict = json(admin("GET", "/status")).get("canary_verdict");
        assertThat(verdict.get("canary").asText()).isEqualTo("2");
        assertThat(verdict.get("decision").asText()).as("the last decision, for recops top").isEqualTo("rollback");
        assertThat(verdict.get("canary_error_rate").asDouble()).isGreaterThan(verdict.get("primary_error_rate").asDouble());
    }

    /**
     * What a load generator sees of a model made to fail through the fault API: 200s from the
     * fallback, each saying so in a header as well as the body, counted as degraded over HTTP and
     * in-process alike, so that no gate takes them for the model's answers.
     */
    @Test
    void aFailingModelsAnswersAreDegradedToTheLoadGeneratorOverHttpAndInProcess() throws Exception {
        String primary = json(admin("GET", "/status")).path("traffic").path("primary_version").asText();
        assertThat(call("POST", "/faults", "Bearer " + token, "{\"version\": \"" + primary + "\", \"error_rate\": 1, \"duration_s\": 60}")
                .statusCode()).isEqualTo(200);
        try {
            HttpResponse<String> answer = search("lamp");
            assertThat(answer.headers().firstValue(ServeServer.DEGRADED_HEADER)).as("the reason, in a header")
                    .hasValue(json(answer).get("degraded_reason").asText());
            dev.recops.engine.load.LoadSpec spec = new dev.recops.engine.load.LoadSpec(dev.recops.engine.load.LoadSpec.Mode.OPEN, 20,
                    dev.recops.engine.load.LoadSpec.Arrivals.CONSTANT, 1, Duration.ofSeconds(1), Duration.ZERO, 20, Duration.ofSeconds(5));
            try (dev.recops.engine.load.HttpTarget http = dev.recops.engine.load.HttpTarget.connect(base);
                 dev.recops.engine.load.InProcessTarget inProcess = new dev.recops.engine.load.InProcessTarget(service, new ServerMetrics())) {
                for (dev.recops.engine.load.Target target : List.<dev.recops.engine.load.Target>of(http, inProcess)) {
                    dev.recops.engine.load.Workload w = dev.recops.engine.load.Workload.build(new dev.recops.engine.load.Workload.Spec(
                            List.of("desk lamp", "gaming chair"), java.util.Map.of(dev.recops.engine.load.Workload.Endpoint.SEARCH, 1), 3, "",
                            "search-encoder", List.of(), Optional.empty(), "/v1/search", List.of(), dev.recops.engine.load.Workload.Order.SEQUENTIAL,
                            1, 1), http.hostHeader());
                    dev.recops.engine.load.RunResult r = new dev.recops.engine.load.LoadRun(target, w, spec, Optional.empty(), p -> {}).run();
                    assertThat(r.responses()).as(target.describe()).isPositive();
                    assertThat(r.degraded()).as(target.describe() + ": every answer the fallback's").isEqualTo(r.responses());
                    assertThat(r.ok()).as(target.describe()).isZero();
                    assertThat(dev.recops.engine.load.Slo.withDefaults(List.of(dev.recops.engine.load.Slo.parse("p99<=5s"))).stream()
                            .allMatch(s -> s.evaluate(r).met())).as(target.describe() + ": not a clean pass").isFalse();
                }
            }
        } finally {
            admin("DELETE", "/faults");
        }
    }

    /**
     * Each version has its own query cache: a primary whose cache is warm answers most searches in
     * microseconds, a new canary's all go to its model. Compared over every answer, a canary no
     * slower than the primary's model was rolled back; over the model's answers alone it passes.
     */
    @Test
    void aCanaryNoSlowerThanThePrimarysModelPassesWhileThePrimarysCacheIsWarm() {
        CanaryAnalysis a = new CanaryAnalysis(Duration.ofSeconds(1), 0.01, 1.5, 10);
        CanaryAnalysis.Window primary = new CanaryAnalysis.Window();
        for (int i = 0; i < 1000; i++) {
            primary.record(50_000, false, false); // cache hits: 50 us
        }
        for (int i = 0; i < 5; i++) {
            primary.record(5_000_000, false, true); // its model: 5 ms
        }
        CanaryAnalysis.Window canary = new CanaryAnalysis.Window();
        for (int i = 0; i < 50; i++) {
            canary.record(5_500_000, false, true); // cold: every answer its model's, 5.5 ms
        }
        CanaryAnalysis.Sample p = CanaryAnalysis.Sample.take(primary);
        CanaryAnalysis.Sample c = CanaryAnalysis.Sample.take(canary);
        assertThat(p.requests()).as("hits still count as requests (and towards errors)").isEqualTo(1005);
        assertThat(p.p99Millis()).as("the model's p99, not the cache's").isGreaterThan(4.9);
        assertThat(a.decide(p, c)).isEqualTo("pass");
    }

    @Test
    void canaryVerdictsCompareErrorRateAndP99() {
        CanaryAnalysis a = new CanaryAnalysis(Duration.ofSeconds(1), 0.01, 1.5, 10);
        CanaryAnalysis.Sample primary = new CanaryAnalysis.Sample(100, 0, 20);
        assertThat(a.decide(primary, new CanaryAnalysis.Sample(9, 9, 500))).isEqualTo("insufficient");
        assertThat(a.decide(primary, new CanaryAnalysis.Sample(50, 0, 25))).isEqualTo("pass");
        assertThat(a.decide(primary, new CanaryAnalysis.Sample(50, 2, 25))).as("4% errors").isEqualTo("rollback");
        assertThat(a.decide(primary, new CanaryAnalysis.Sample(50, 0, 31))).as("p99 over 1.5x").isEqualTo("rollback");
    }

    @Test
    void versionChangesUnderSteadyLoadFailNoRequest() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<Integer, AtomicInteger> failures = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    try {
                        int status = search("gaming chair").statusCode();
                        if (status == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                    }
                }
            }));
        }
        awaitMore(ok, 20);
        assertThat(call("PUT", "/traffic", "Bearer " + token, "{\"canary\": {\"version\": \"2\", \"percent\": 10}}").statusCode()).isEqualTo(200);
        awaitMore(ok, 20);
        assertThat(admin("POST", "/versions/2/promote").statusCode()).isEqualTo(200);
        awaitMore(ok, 20);
        assertThat(admin("POST", "/versions/3/load").statusCode()).isEqualTo(422);
        awaitMore(ok, 20);
        assertThat(admin("POST", "/rollback").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/versions/2/unload").statusCode()).isEqualTo(200);
        awaitMore(ok, 20);
        assertThat(admin("POST", "/versions/2/load").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/versions/2/promote").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/versions/1/unload").statusCode()).isEqualTo(200);
        awaitMore(ok, 20);
        running.set(false);
        for (Thread t : clients) {
            t.join();
        }
        assertThat(failures).as("failed requests by status").isEmpty();
        assertThat(ok.get()).isGreaterThan(20);
        service.loadVersion("1");
    }

    @Test
    void everyCallIsAuditedByTokenIdAndTheTokenIsNeverWritten() throws Exception {
        admin("GET", "/status");
        call("GET", "/status", "Bearer nope-nope-nope-nope", null);
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("audit.jsonl"))) {
            lines.add(JSON.readTree(l));
        }
        assertThat(lines).anySatisfy(n -> {
            assertThat(n.get("action").asText()).isEqualTo("status");
            assertThat(n.get("outcome").asText()).isEqualTo("ok");
            assertThat(n.get("token_id").asText()).hasSize(12);
        });
        assertThat(lines).anySatisfy(n -> {
            assertThat(n.get("outcome").asText()).isEqualTo("denied");
            assertThat(n.get("status").asInt()).isEqualTo(401);
            assertThat(n.get("token_id").asText()).isEmpty();
        });
        assertThat(Files.readString(dir.resolve("audit.jsonl"))).doesNotContain(token);
        assertThat(Files.getPosixFilePermissions(dir.resolve("admin-token")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    /** Waits until {@code count} has grown by {@code more}: requests keep flowing between two changes. */
    private static void awaitMore(AtomicInteger count, int more) {
        int target = count.get() + more;
        dev.recops.engine.Await.until(more + " more requests answered", () -> count.get() >= target);
    }
}
