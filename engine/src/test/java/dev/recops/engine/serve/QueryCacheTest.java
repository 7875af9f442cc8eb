package dev.recops.engine.serve;

import dev.recops.engine.Await;
import dev.recops.engine.TestData;
import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.model.TokenizedText;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The query vector cache: a repeated query skips the queue and the model, per version, bounded, cleared with its version. */
class QueryCacheTest {
    private static SearchService service;
    private static ServerMetrics metrics;

    @BeforeAll
    static void start() throws Exception {
        ServeOptions options = new ServeOptions("127.0.0.1", 0, TestData.models(), "search-encoder", "1", TestData.esciProducts(),
                Optional.of(Files.createTempDirectory("recops-test-cache")), 1, 1, java.util.OptionalInt.empty(), Optional.empty(), 64,
                Duration.ofSeconds(10), 1 << 20, 256);
        metrics = new ServerMetrics();
        service = new SearchService(options, metrics, ServeListener.NONE);
        service.load();
        Await.until("both versions are loaded", () -> service.versions().size() == 2);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static Queries.Ranked search(String query, String version) {
        return service.search(new Queries.Search(query, 5, ProductFilter.NONE, new Queries.Target(version, "")), service.defaultDeadlineNanos());
    }

    private static String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write("text/plain", out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aRepeatedQuerySkipsTheQueueAndTheModelAndAnswersTheSame() throws Exception {
        Queries.Ranked first = search("gaming chair with footrest", "1");
        assertThat(first.timings().cached()).isEqualTo(Queries.Cached.MISS);
        assertThat(first.timings().batchSize()).isPositive();
        Queries.Ranked again = search("gaming chair with footrest", "1");
        assertThat(again.timings().cached()).isEqualTo(Queries.Cached.HIT);
        assertThat(again.timings().batchSize()).isZero();
        assertThat(again.timings().encodeNanos()).isZero();
        assertThat(again.results()).isEqualTo(first.results());
        assertThat(again.queryTokens()).isEqualTo(first.queryTokens());
        // the key is what the (uncased) model sees: spacing and case do not make a new entry
        assertThat(search("  Gaming   CHAIR with footrest ", "1").timings().cached()).isEqualTo(Queries.Cached.HIT);
        // another version has its own vectors
        assertThat(search("gaming chair with footrest", "2").timings().cached()).isEqualTo(Queries.Cached.MISS);
        // embed shares the cache: its texts are keyed by their tokens like a query's
        Queries.Embedded mixed = service.embed(new Queries.Embed(java.util.List.of("gaming chair with footrest", "walnut bookshelf"),
                Queries.Target.PRIMARY), service.defaultDeadlineNanos());
        assertThat(mixed.timings().cached()).isEqualTo(Queries.Cached.MISS);
        Queries.Embedded both = service.embed(new Queries.Embed(java.util.List.of("gaming chair with footrest", "walnut bookshelf"),
                Queries.Target.PRIMARY), service.defaultDeadlineNanos());
        assertThat(both.timings().cached()).isEqualTo(Queries.Cached.HIT);
        assertThat(both.vectors().get(1)).isEqualTo(mixed.vectors().get(1));
        String text = scrape();
        assertThat(text).containsPattern("recops_query_cache_requests_total\\{model=\"search-encoder\",result=\"hit\",version=\"1\"} [2-9]");
        assertThat(text).containsPattern("recops_query_cache_entries\\{model=\"search-encoder\",version=\"1\"} [1-9]");
    }

    @Test
    void aCachedQueryIsAnsweredByTheModelsVectorWhileTheModelFailsAndAReloadedVersionStartsEmpty() {
        assertThat(search("standing desk converter", "2").timings().cached()).isEqualTo(Queries.Cached.MISS);
        service.faults().inject(new Faults.Fault("2", Duration.ZERO, 1.0, false, Instant.now().plus(Duration.ofMinutes(5))));
        try {
            Queries.Ranked cached = search("standing desk converter", "2");
            assertThat(cached.degraded()).isFalse();
            assertThat(cached.timings().cached()).isEqualTo(Queries.Cached.HIT);
            assertThat(search("ergonomic office chair", "2").degradedReason()).isEqualTo("model_error");
        } finally {
            service.faults().clear("");
        }
        service.unloadVersion("2");
        service.loadVersion("2");
        assertThat(search("standing desk converter", "2").timings().cached()).isEqualTo(Queries.Cached.MISS);
    }

    @Test
    void staysWithinItsBytesAndKeepsAFrequentQueryThroughAScanOfOneOffs() {
        AtomicLong evicted = new AtomicLong();
        ServerMetrics.QueryCacheObserver counting = new ServerMetrics.QueryCacheObserver() {
            @Override
            public void lookup(boolean hit) {}

            @Override
            public void evicted() {
                evicted.incrementAndGet();
            }
        };
        int dim = 384;
        int perEntry = QueryCache.ENTRY_OVERHEAD_BYTES + 8 * 3 + 4 * dim;
        long bytes = 40L * perEntry;
        QueryCache cache = new QueryCache(bytes, counting);
        for (int i = 1_000; i < 1_040; i++) { // a full cache: its frequency sketch counts from here
            lookUpAndFill(cache, text(i), dim);
        }
        TokenizedText hot = text(1);
        for (int i = 0; i < 20; i++) {
            lookUpAndFill(cache, hot, dim);
        }
        for (int i = 2; i < 1_000; i++) { // one-off queries, as a request does: look up, miss, fill
            lookUpAndFill(cache, text(i), dim);
        }
        assertThat(cache.size() * perEntry).isLessThanOrEqualTo(bytes);
        assertThat(evicted.get()).isGreaterThan(900);
        assertThat(cache.get(hot)).as("W-TinyLFU keeps the head query; an LRU would have dropped it").isNotNull();
        QueryCache off = new QueryCache(0, counting);
        off.put(hot, new float[dim]);
        assertThat(off.get(hot)).isNull();
        assertThat(off.enabled()).isFalse();
    }

    private static void lookUpAndFill(QueryCache cache, TokenizedText t, int dim) {
        if (cache.get(t) == null) {
            cache.put(t, new float[dim]);
        }
    }

    private static TokenizedText text(int id) {
        return new TokenizedText(new long[] {101, id, 102}, new long[] {1, 1, 1}, new long[] {0, 0, 0});
    }
}
