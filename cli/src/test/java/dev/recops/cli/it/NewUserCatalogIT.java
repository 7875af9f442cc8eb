package dev.recops.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's path for a new user, through the built distribution: import an encoder with
 * {@code recops model import}, serve an own 20-row catalog (no --model: the repository has one),
 * then {@code recops catalog upsert} 5 products and {@code delete} 2 while 8 clients search. No
 * query fails, the new products are found and the deleted ones are gone; the time from each call
 * to the first search that finds its products is printed (the issue asks for under 2 s; a test
 * never asserts a time).
 */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // server starts and load, with room for a busy runner
class NewUserCatalogIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TESTDATA = Path.of(System.getProperty("recops.testdata"));

    @TempDir
    Path home;

    @Test
    void anOwnModelAndCatalogTakeLiveUpdatesWhileEightClientsSearch() throws Exception {
        Path onnx = fromJar("all-minilm-l6-v2-q.onnx");
        Path tokenizer = fromJar("all-minilm-l6-v2-q-tokenizer.json");
        run("model", "import", onnx.toString(), tokenizer.toString(), "--repo", home.resolve("models").toString(), "--name", "shop-encoder");

        List<String> esci = Files.readAllLines(TESTDATA.resolve("esci/products.csv"));
        Path catalog = Files.write(home.resolve("my-products.csv"), esci.subList(0, 21)); // header and 20 products
        Path upserts = Files.writeString(home.resolve("new.csv"), """
                product_id,title,brand,price,in_stock
                NEW-1,Zorblax titanium camping spork with carabiner,Zorblax,12.50,true
                NEW-2,Handmade walnut chess board with magnetic pieces,Oakline,89.00,true
                NEW-3,Waterproof dog raincoat with reflective stripes,Pawsome,24.99,true
                NEW-4,Ceramic pour-over coffee dripper,Brewlab,19.00,false
                NEW-5,Kids glow in the dark star stickers,Nightsky,6.49,true
                """);
        List<String> deleted = List.of(esci.get(1).split(",")[0], esci.get(2).split(",")[0]);

        try (LaunchedServer server = LaunchedServer.start(home, "--model-repo", home.resolve("models").toString(), "--catalog",
                catalog.toString())) {
            server.awaitReady(Duration.ofSeconds(120));
            String adminUrl = adminUrl(server);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger answered = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Map<String, Long> foundAtNanos = new ConcurrentHashMap<>();
            String[] queries = {"camping spork", "chess board", "dog raincoat", "coffee dripper", "star stickers", "desk", "lamp", "chair"};
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                String query = queries[c];
                clients.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get() && i < 100_000; i++) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.base() + "/v1/search"))
                                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"" + query + "\", \"k\": 5}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                failures.add(r.statusCode() + " " + r.body());
                                continue;
                            }
                            answered.incrementAndGet();
                            JsonNode results = JSON.readTree(r.body()).path("results");
                            List<String> ids = new ArrayList<>();
                            results.forEach(n -> ids.add(n.path("product_id").asText()));
                            long now = System.nanoTime();
                            ids.stream().filter(id -> id.startsWith("NEW-")).forEach(id -> foundAtNanos.putIfAbsent(id, now));
                        } catch (IOException e) {
                            failures.add(e.toString());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
            try {
                awaitAnswers(answered, 200); // the clients search before anything changes
                long upsertStart = System.nanoTime();
                JsonNode up = JSON.readTree(run("catalog", "upsert", upserts.toString(), "--admin-url", adminUrl, "--format", "json"));
                long upsertDone = System.nanoTime();
                assertThat(up.path("changed").asInt()).isEqualTo(5);
                assertThat(up.path("products").asInt()).isEqualTo(25);
                long deleteStart = System.nanoTime();
                JsonNode del = JSON.readTree(run("catalog", "delete", deleted.get(0), deleted.get(1), "--admin-url", adminUrl, "--format", "json"));
                assertThat(del.path("changed").asInt()).isEqualTo(2);
                awaitUntil(() -> foundAtNanos.size() == 5, "every new product found by a searching client: " + foundAtNanos.keySet());
                int before = answered.get();
                awaitAnswers(answered, before + 200); // and searching goes on
                System.out.printf("NewUserCatalogIT: upsert call %.0f ms; new products first found %s ms after the call started; "
                                + "delete call started at %.0f ms%n", (upsertDone - upsertStart) / 1e6,
                        foundAtNanos.values().stream().map(t -> String.format("%.0f", (t - upsertStart) / 1e6)).sorted().toList(),
                        (deleteStart - upsertStart) / 1e6);
            } finally {
                stop.set(true);
                for (Thread t : clients) {
                    t.join(Duration.ofSeconds(30));
                }
            }
            assertThat(failures).as("failed queries").isEmpty();
            for (String id : deleted) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.base() + "/v1/recommend"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"recent_product_ids\": [\"" + id + "\"]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("a deleted product is unknown").isEqualTo(400);
            }
            JsonNode status = JSON.readTree(run("catalog", "status", "--admin-url", adminUrl, "--format", "json"));
            assertThat(status.path("products").asInt()).isEqualTo(23);
            assertThat(status.path("journal").path("changes").asInt()).isEqualTo(2);
        }
    }

    private Path fromJar(String resource) throws IOException {
        Path to = home.resolve(resource);
        try (InputStream in = NewUserCatalogIT.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the test class path (a langchain4j jar)").isNotNull();
            Files.copy(in, to);
        }
        return to;
    }

    /** Runs {@code bin/recops ARGS} as the user would, with this test's HOME; returns stdout, fails on a non-zero exit. */
    private String run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LaunchedServer.DIST.resolve("bin/recops").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = LaunchedServer.inHome(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE), home);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", args) + ": " + err).isZero();
        return out;
    }

    private static String adminUrl(LaunchedServer server) throws Exception {
        Pattern admin = Pattern.compile("admin API on (http://[0-9.]+:\\d+)/admin/v1");
        Matcher m = admin.matcher(Files.readString(server.stderr));
        assertThat(m.find()).as("serve says where its admin API is").isTrue();
        return m.group(1);
    }

    private static void awaitAnswers(AtomicInteger answered, int atLeast) {
        awaitUntil(() -> answered.get() >= atLeast, atLeast + " answered searches");
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 120 s: " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
