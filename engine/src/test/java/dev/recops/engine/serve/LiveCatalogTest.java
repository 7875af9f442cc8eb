package dev.recops.engine.serve;

import dev.recops.engine.catalog.ProductFilter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.catalog.CatalogJournal;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.catalog.ProductPatch;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Live product updates with fake encoders and two loaded versions: upserts are found by every
 * version, deletes and patches take effect at once, nothing unchanged is embedded again, a
 * restart keeps every update, and searches never fail while the catalog changes.
 */
class LiveCatalogTest {
    @TempDir
    Path dir;
    private SearchService service;
    private final Map<String, Boolean> loadedFromCache = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1", "2");
        service = open();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private SearchService open() {
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("models"), "search-encoder", "2", TestData.esciProducts(),
                Optional.of(dir.resolve("cache")), 2, 1, OptionalInt.empty(), Optional.empty(), 256, Duration.ofSeconds(5));
        SearchService s = new SearchService(options, ServiceSetup.DEFAULT.withJournal(CatalogJournal.open(dir.resolve("journal"))),
                new ServerMetrics(), new ServeListener() {
            @Override
            public void versionLoaded(ModelVersion version, Duration took, boolean embeddingsFromCache) {
                loadedFromCache.put(version.version(), embeddingsFromCache);
            }
        }, FakeEncoder.factory(new FakeEncoder.Gate()));
        s.load();
        return s;
    }

    private static Product spork(String id, double price) {
        return new Product(id, "Zorblax titanium camping spork", "Zorblax", "", Map.of("category", "outdoor"), price, true);
    }

    private List<String> search(String query, String version, ProductFilter filters) {
        return service.search(new Queries.Search(query, 5, filters, new Queries.Target(version), Queries.Mode.DEFAULT),
                System.nanoTime() + Duration.ofSeconds(10).toNanos()).results().stream().map(Queries.Result::productId).toList();
    }

    @Test
    void upsertsAreFoundByEveryVersionAndDeletesAndPatchesTakeEffectAtOnce() {
        LiveCatalog.Result r = service.catalog().upsert(List.of(spork("NEW-1", 12.5)));
        assertThat(r.changed()).isEqualTo(1);
        assertThat(r.embedded()).as("one text, two versions").isEqualTo(2);
        assertThat(service.catalogSize()).isEqualTo(486);
        for (String version : List.of("1", "2")) {
            assertThat(search("zorblax titanium camping spork", version, ProductFilter.NONE)).first().isEqualTo("NEW-1");
        }
        assertThat(service.recommend(new Queries.Recommend(List.of("NEW-1"), 3, Queries.Target.PRIMARY)).results()).hasSize(3);
        ProductFilter outdoor = new ProductFilter(Map.of("category", "outdoor"), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY);
        assertThat(search("spork", "", outdoor)).containsExactly("NEW-1");

        assertThat(service.catalog().patch(List.of(new ProductPatch("NEW-1", OptionalDouble.of(9.5), Optional.of(false), Optional.empty(),
                Map.of()))).embedded()).isZero();
        ProductFilter inStock = new ProductFilter(Map.of(), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.IN_STOCK);
        assertThat(search("zorblax titanium camping spork", "", inStock)).doesNotContain("NEW-1");
        ProductFilter cheap = new ProductFilter(Map.of(), 0, 10, ProductFilter.Stock.ANY);
        assertThat(search("zorblax titanium camping spork", "", cheap)).first().isEqualTo("NEW-1");

        LiveCatalog.Result deleted = service.catalog().delete(List.of("NEW-1", "NO-SUCH-ID"));
        assertThat(deleted.changed()).isEqualTo(1);
        assertThat(deleted.notFound()).containsExactly("NO-SUCH-ID");
        assertThat(search("zorblax titanium camping spork", "1", ProductFilter.NONE)).doesNotContain("NEW-1");
        assertThatThrownBy(() -> service.recommend(new Queries.Recommend(List.of("NEW-1"), 3, Queries.Target.PRIMARY)))
                .isInstanceOf(RecopsException.InvalidInput.class);
        assertThatThrownBy(() -> service.catalog().patch(List.of(new ProductPatch("NEW-1", OptionalDouble.of(1), Optional.empty(),
                Optional.empty(), Map.of())))).isInstanceOf(RecopsException.NotFound.class).hasMessageContaining("NEW-1");
    }

    @Test
    void onlyNewAndChangedTitlesAreEmbedded() {
        Product existing = TestCatalog.first(service);
        assertThat(service.catalog().upsert(List.of(existing)).changed()).as("the same product again").isZero();
        Product repriced = new Product(existing.productId(), existing.title(), existing.brand(), existing.color(), existing.attributes(),
                99, existing.inStock());
        LiveCatalog.Result priced = service.catalog().upsert(List.of(repriced));
        assertThat(priced.changed()).isEqualTo(1);
        assertThat(priced.embedded()).as("the price is not embedded").isZero();
        Product renamed = new Product(existing.productId(), existing.title() + " deluxe", existing.brand(), existing.color());
        assertThat(service.catalog().upsert(List.of(renamed)).embedded()).isEqualTo(2);
        assertThatThrownBy(() -> service.catalog().upsert(List.of(renamed, renamed))).isInstanceOf(RecopsException.InvalidInput.class);
    }

    @Test
    void aRestartServesEveryUpdateAndEmbedsNothingAgain() {
        service.catalog().upsert(List.of(spork("NEW-1", 12.5), spork("NEW-2", 20)));
        service.catalog().delete(List.of("NEW-2", TestCatalog.first(service).productId()));
        service.catalog().patch(List.of(new ProductPatch("NEW-1", OptionalDouble.of(7), Optional.empty(), Optional.empty(), Map.of())));
        int served = service.catalogSize();
        service.close();
        loadedFromCache.clear();

        service = open();
        assertThat(service.catalogSize()).isEqualTo(served);
        assertThat(search("zorblax titanium camping spork", "1", ProductFilter.NONE)).first().isEqualTo("NEW-1");
        assertThat(search("zorblax titanium camping spork", "2", ProductFilter.NONE)).doesNotContain("NEW-2");
        assertThat(search("zorblax titanium camping spork", "2", new ProductFilter(Map.of(), 0, 7, ProductFilter.Stock.ANY)))
                .first().isEqualTo("NEW-1");
        assertThat(loadedFromCache).containsExactlyInAnyOrderEntriesOf(Map.of("1", true, "2", true));
        assertThat(service.catalog().status().journal().orElseThrow().changes()).isEqualTo(3);
    }

    @Test
    void searchesNeverFailWhileProductsAreUpsertedAndDeleted() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            String version = c % 2 == 0 ? "1" : "2";
            running.add(clients.submit(() -> {
                for (int i = 0; i < 100_000 && !done.get(); i++) { // bounded; stops when the updates are done
                    try {
                        Queries.Ranked r = service.search(new Queries.Search("camping spork", 10, ProductFilter.NONE,
                                new Queries.Target(version), Queries.Mode.DEFAULT), System.nanoTime() + Duration.ofSeconds(10).toNanos());
                        if (r.degraded() || r.results().isEmpty()) {
                            failures.add(new AssertionError("degraded or empty: " + r));
                        }
                        answered.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        try {
            for (int round = 0; round < 20; round++) {
                List<Product> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    batch.add(new Product("R" + round + "-" + i, "Zorblax camping spork " + i, "Zorblax", "", Map.of("round", "r" + round),
                            round + i, true));
                }
                service.catalog().upsert(batch);
                ProductFilter thisRound = new ProductFilter(Map.of("round", "r" + round), 0, Double.POSITIVE_INFINITY,
                        ProductFilter.Stock.ANY);
                for (String version : List.of("1", "2")) {
                    assertThat(search("camping spork", version, thisRound)).hasSize(5);
                }
                service.catalog().delete(List.of("R" + round + "-1", "R" + round + "-2"));
            }
        } finally {
            done.set(true);
            for (Future<?> f : running) {
                f.get();
            }
            clients.shutdown();
        }
        assertThat(failures).isEmpty();
        assertThat(answered.get()).isPositive();
        assertThat(service.catalogSize()).isEqualTo(485 + 20 * 3);
    }

    @Test
    void theAdminApiTakesJsonLinesAuditsEveryCallAndRefusesABadBodyWhole() throws Exception {
        Path auditFile = dir.resolve("audit.jsonl");
        AdminServer admin = AdminServer.start("127.0.0.1", 0, service, BearerToken.open(dir.resolve("token")),
                AuditLog.open(Optional.of(auditFile)), new ServerMetrics(), false);
        try {
            String token = Files.readString(dir.resolve("token")).strip();
            HttpClient client = HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, HttpResponse<String>> call = (method, body) -> {
                try {
                    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/admin/v1/catalog/products"))
                            .header("Authorization", "Bearer " + token).header("Content-Type", "application/x-ndjson")
                            .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            HttpResponse<String> bad = call.apply("POST", "{\"product_id\":\"A1\",\"title\":\"Good\"}\n{\"product_id\":\"A2\"}\n");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("line 2", "nothing was changed");
            assertThat(service.catalogSize()).isEqualTo(485);

            HttpResponse<String> ok = call.apply("POST", "{\"product_id\":\"A1\",\"title\":\"Zorblax spork\",\"price\":3,\"in_stock\":\"no\"}\n");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            JsonNode answer = new ObjectMapper().readTree(ok.body());
            assertThat(answer.path("changed").asInt()).isEqualTo(1);
            assertThat(answer.has("_audit")).isFalse();

            assertThat(call.apply("PATCH", "{\"product_id\":\"A1\",\"title\":\"renamed\"}\n").body()).contains("upsert the whole product");
            assertThat(call.apply("PATCH", "{\"product_id\":\"A1\",\"in_stock\":true}\n").statusCode()).isEqualTo(200);
            assertThat(call.apply("DELETE", "{\"product_ids\":[\"A1\"]}").statusCode()).isEqualTo(200);
            assertThat(service.catalogSize()).isEqualTo(485);
        } finally {
            admin.close();
        }
        List<String> audit = Files.readAllLines(auditFile);
        assertThat(audit).anySatisfy(l -> assertThat(l).contains("upsert_products", "\"rejected\""))
                .anySatisfy(l -> assertThat(l).contains("upsert_products", "upsert requested 1 changed 1"));
    }

    /** The catalog file served. */
    private static final class TestCatalog {
        static Product first(SearchService ignored) {
            return dev.recops.engine.catalog.CatalogLoader.load(TestData.esciProducts()).products().getFirst();
        }
    }
}
