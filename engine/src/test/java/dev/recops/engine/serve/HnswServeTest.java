package dev.recops.engine.serve;

import dev.recops.engine.TestData;
import dev.recops.engine.catalog.CatalogJournal;
import dev.recops.engine.catalog.HnswIndex;
import dev.recops.engine.catalog.IndexChoice;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serving through the HNSW index (fake encoders, two versions): answers match the exact scan's,
 * live updates and a reload (under 16 searching threads, none failing) keep serving, and a
 * restart opens the persisted indexes.
 */
class HnswServeTest {
    @TempDir
    Path dir;
    private SearchService service;
    private final AtomicInteger indexed = new AtomicInteger();
    private ServerMetrics metrics;

    private SearchService open(IndexChoice.Kind kind, Path catalog) {
        metrics = new ServerMetrics();
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("models"), "search-encoder", "2", catalog,
                Optional.of(dir.resolve("cache")), 2, 1, OptionalInt.empty(), Optional.empty(), 256, Duration.ofSeconds(5));
        ServiceSetup setup = ServiceSetup.DEFAULT.withIndexChoice(IndexChoice.of(kind, HnswIndex.Params.DEFAULT))
                .withJournal(CatalogJournal.open(dir.resolve("journal-" + kind)));
        SearchService s = new SearchService(options, setup, metrics, new ServeListener() {
            @Override
            public void indexing(ModelVersion version, int done, int total) {
                if (done == total) {
                    indexed.incrementAndGet();
                }
            }
        }, FakeEncoder.factory(new FakeEncoder.Gate()));
        s.load();
        return s;
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
    }

    private static List<String> ids(SearchService s, String query, String version, ProductFilter filter) {
        return ids(s, query, version, filter, Queries.Mode.DEFAULT);
    }

    private static List<String> ids(SearchService s, String query, String version, ProductFilter filter, Queries.Mode mode) {
        return s.search(new Queries.Search(query, 10, filter, new Queries.Target(version), mode),
                System.nanoTime() + Duration.ofSeconds(10).toNanos()).results().stream().map(Queries.Result::productId).toList();
    }

    @Test
    void answersMatchTheExactScanAndSurviveUpdatesReloadsAndRestarts() throws Exception {
        FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1", "2");
        Path catalog = Files.copy(TestData.esciProducts(), dir.resolve("products.csv"));
        SearchService exact = open(IndexChoice.Kind.EXACT, catalog);
        service = open(IndexChoice.Kind.HNSW, catalog);
        assertThat(indexed.get()).as("both versions built an index").isEqualTo(2);
        assertThat(service.serving().orElseThrow().index().kind()).isEqualTo("hnsw");
        java.io.ByteArrayOutputStream scraped = new java.io.ByteArrayOutputStream();
        metrics.write("text/plain", scraped);
        assertThat(scraped.toString(java.nio.charset.StandardCharsets.UTF_8)).as("the build's progress, by phase")
                .contains("recops_catalog_build_done{model=\"search-encoder\",phase=\"indexing\",version=\"2\"} 485.0")
                .contains("recops_catalog_build_size{model=\"search-encoder\",phase=\"indexing\",version=\"2\"} 485.0")
                .as("the vectors came from the cache the exact service filled: nothing to embed").doesNotContain("phase=\"embedding\"");
        ProductFilter inStock = new ProductFilter(Map.of(), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.IN_STOCK);
        for (String query : List.of("gaming chair", "coffee table", "yellow balloons")) {
            for (String version : List.of("1", "2")) {
                assertThat(ids(service, query, version, ProductFilter.NONE)).isEqualTo(ids(exact, query, version, ProductFilter.NONE));
                assertThat(ids(service, query, version, inStock)).isEqualTo(ids(exact, query, version, inStock));
                for (Queries.Mode mode : List.of(Queries.Mode.LEXICAL, Queries.Mode.HYBRID)) { // BM25 from the HNSW index's own text field
                    assertThat(ids(service, query, version, inStock, mode)).as(mode + " " + query)
                            .isEqualTo(ids(exact, query, version, inStock, mode));
                }
            }
        }
        exact.close();

        service.catalog().upsert(List.of(new Product("NEW-1", "Zorblax titanium camping spork", "Zorblax", "")));
        service.catalog().delete(List.of("B07QGY4VGK"));
        assertThat(ids(service, "zorblax titanium camping spork", "1", ProductFilter.NONE)).first().isEqualTo("NEW-1");
        assertThat(ids(service, "zorblax spork", "2", ProductFilter.NONE, Queries.Mode.LEXICAL)).first().isEqualTo("NEW-1");
        assertThat(ids(service, "gaming chair footrest", "2", ProductFilter.NONE)).doesNotContain("B07QGY4VGK");

        List<String> lines = Files.readAllLines(catalog);
        Files.write(catalog, lines.subList(0, 400)); // a new file: reloaded, its index built beside the serving one
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        List<Thread> clients = new java.util.ArrayList<>();
        for (int c = 0; c < 16; c++) {
            String version = c % 2 == 0 ? "1" : "2";
            clients.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 100_000 && (!done.get() || answered.get() < 64); i++) { // bounded
                    try {
                        if (ids(service, "gaming chair", version, ProductFilter.NONE).size() != 10) {
                            failures.add(new AssertionError("fewer than 10 results"));
                        }
                        answered.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        try {
            assertThat(service.catalog().reload(false)).isEqualTo(399);
        } finally {
            done.set(true);
            for (Thread t : clients) {
                t.join();
            }
        }
        assertThat(failures).as("searches while the catalog was swapped").isEmpty();
        assertThat(ids(service, "gaming chair", "2", ProductFilter.NONE)).hasSize(10);
        service.close();

        indexed.set(0);
        service = open(IndexChoice.Kind.HNSW, catalog);
        assertThat(indexed.get()).as("a restart opens the persisted indexes").isZero();
        assertThat(service.catalogSize()).isEqualTo(399);
        assertThat(ids(service, "gaming chair", "1", ProductFilter.NONE)).hasSize(10);
    }
}
