package dev.recops.engine.catalog;

import dev.recops.engine.TestData;
import dev.recops.engine.model.TextEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CatalogIndexTest {
    private static TextEncoder encoder;
    private static Catalog catalog;

    @BeforeAll
    static void load() {
        encoder = TextEncoder.load(TestData.version("1"), 1);
        catalog = CatalogLoader.load(TestData.esciProducts());
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void embeddingsAreCachedByCatalogContentAndReadBackIdentically(@TempDir Path dir) throws Exception {
        EmbeddingCache cache = new EmbeddingCache(dir);
        AtomicInteger progressCalls = new AtomicInteger();
        CatalogIndex first = CatalogIndex.build(catalog, encoder, Optional.of(cache), (done, total) -> progressCalls.incrementAndGet());
        assertThat(first.fromCache()).isFalse();
        assertThat(progressCalls.get()).isGreaterThan(1);
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).singleElement().satisfies(f -> assertThat(f.getFileName().toString()).startsWith("search-encoder-1-"));
        }

        CatalogIndex second = CatalogIndex.build(catalog, encoder, Optional.of(cache), CatalogIndex.Progress.NONE);
        assertThat(second.fromCache()).isTrue();
        for (int row : new int[] {0, 17, 484}) {
            assertThat(second.vector(row)).containsExactly(first.vector(row));
        }
    }

    @Test
    void shardedEmbeddingJobsResumeAndHandServeACompleteCache(@TempDir Path dir) {
        // Shard 1 of 3 is killed at its third model call: what its file holds is kept, the rerun embeds the rest.
        AtomicInteger calls = new AtomicInteger();
        dev.recops.engine.model.Encoder dying = new dev.recops.engine.model.Encoder() {
            public dev.recops.engine.model.ModelVersion version() { return encoder.version(); }
            public int dimension() { return encoder.dimension(); }
            public dev.recops.engine.model.TokenizedText tokenizeOne(String text) { return encoder.tokenizeOne(text); }
            public float[][] infer(dev.recops.engine.model.TokenizedBatch batch) {
                if (calls.incrementAndGet() == 3) {
                    throw new IllegalStateException("killed");
                }
                return encoder.infer(batch);
            }
            public void close() {}
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CatalogIndex.embedShard(catalog, dying, dir, 1, 3, CatalogIndex.Progress.NONE, 32))
                .hasMessageContaining("killed");
        CatalogIndex.ShardReport one = CatalogIndex.embedShard(catalog, encoder, dir, 1, 3, CatalogIndex.Progress.NONE, 32);
        assertThat(one.alreadyEmbedded()).as("two chunks of 32 written before the kill").isEqualTo(64);
        assertThat(one.embedded()).isEqualTo(one.texts() - 64);
        CatalogIndex.ShardReport two = CatalogIndex.embedShard(catalog, encoder, dir, 2, 3, CatalogIndex.Progress.NONE, 32);
        CatalogIndex.ShardReport three = CatalogIndex.embedShard(catalog, encoder, dir, 3, 3, CatalogIndex.Progress.NONE);
        assertThat(one.products() + two.products() + three.products()).isEqualTo(catalog.size());
        assertThat(List.of(one.products(), two.products(), three.products())).allSatisfy(n -> assertThat(n).isBetween(100, 220));
        assertThat(CatalogIndex.embedShard(catalog, encoder, dir, 3, 3, CatalogIndex.Progress.NONE).embedded()).as("done is done").isZero();

        // Serve's cache in the same directory reads every shard's file: nothing to embed.
        AtomicInteger toEmbed = new AtomicInteger(-1);
        CatalogIndex served = CatalogIndex.build(catalog, encoder, Optional.of(new EmbeddingCache(dir)), (done, total) -> toEmbed.set(total));
        assertThat(toEmbed.get()).as("progress is never called when nothing is embedded").isEqualTo(-1);
        assertThat(served.fromCache()).isTrue();
        float[] fresh = encoder.embed(List.of(CatalogIndex.text(encoder.version(), catalog.products().get(17))))[0];
        float similarity = 0;
        for (int d = 0; d < fresh.length; d++) {
            similarity += fresh[d] * served.vector(17)[d];
        }
        assertThat(similarity).as("the shard's vector is the product's own (batches change a quantized model's output a little)")
                .isGreaterThan(0.99f);
    }

    @Test
    void aChangedCatalogEmbedsOnlyItsNewAndChangedTexts(@TempDir Path dir) {
        EmbeddingCache cache = new EmbeddingCache(dir);
        CatalogIndex first = CatalogIndex.build(catalog, encoder, Optional.of(cache), CatalogIndex.Progress.NONE);
        Product changed = catalog.products().get(3);
        List<Product> upserts = List.of(new Product(changed.productId(), changed.title() + " XL", changed.brand(), ""),
                new Product("NEW-1", "Titanium camping spork", "Zorblax", ""),
                new Product(catalog.products().get(5).productId(), catalog.products().get(5).title(), catalog.products().get(5).brand(),
                        "red")); // colour is not embedded
        Catalog next = catalog.withProducts(upserts, List.of(catalog.products().get(7).productId()));
        AtomicInteger embedded = new AtomicInteger();
        CatalogIndex second = CatalogIndex.build(next, encoder, Optional.of(cache), (done, total) -> embedded.set(total));
        assertThat(embedded.get()).isEqualTo(2);
        assertThat(second.fromCache()).isFalse();
        assertThat(second.vector(second.row(catalog.products().get(0).productId()).orElseThrow())).containsExactly(first.vector(0));
        assertThat(CatalogIndex.build(next, encoder, Optional.of(cache), CatalogIndex.Progress.NONE).fromCache()).isTrue();

        // The same change applied to the served index: the vectors of the untouched products are moved, never recomputed.
        java.util.Map<String, float[]> vectors = new java.util.HashMap<>();
        for (Product p : List.of(upserts.get(0), upserts.get(1))) {
            vectors.put(CatalogIndex.text(encoder.version(), p), encoder.embed(List.of(CatalogIndex.text(encoder.version(), p)))[0]);
        }
        CatalogIndex updated = first.updated(next, encoder.version(), vectors);
        for (int row = 0; row < next.size(); row++) {
            float[] given = vectors.get(CatalogIndex.text(encoder.version(), next.products().get(row)));
            // a quantized model's output depends a little on the batch a text is in: compare with what was given
            assertThat(updated.vector(row)).containsExactly(given != null ? given : second.vector(row));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> first.updated(next, encoder.version(), java.util.Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(changed.productId());
    }

    @Test
    void aCorruptCacheFileIsIgnoredAndRewritten(@TempDir Path dir) throws Exception {
        EmbeddingCache cache = new EmbeddingCache(dir);
        CatalogIndex.build(catalog, encoder, Optional.of(cache), CatalogIndex.Progress.NONE);
        Path file;
        try (var files = Files.list(dir)) {
            file = files.findFirst().orElseThrow();
        }
        Files.write(file, new byte[] {1, 2, 3});
        assertThat(CatalogIndex.build(catalog, encoder, Optional.of(cache), CatalogIndex.Progress.NONE).fromCache()).isFalse();
        assertThat(CatalogIndex.build(catalog, encoder, Optional.of(cache), CatalogIndex.Progress.NONE).fromCache()).isTrue();
    }

    @Test
    void searchReturnsTheBestMatchesFirstAndHonoursFilterAndExclusions() {
        CatalogIndex index = CatalogIndex.build(catalog, encoder, Optional.empty(), CatalogIndex.Progress.NONE);
        float[] query = encoder.embed(List.of("gaming chair with footrest and speakers"))[0];
        List<CatalogIndex.Hit> hits = index.search(query, 5, p -> true, row -> false);
        assertThat(hits).hasSize(5);
        assertThat(hits.getFirst().product().title()).containsIgnoringCase("gaming chair");
        assertThat(hits).extracting(CatalogIndex.Hit::score).isSortedAccordingTo((a, b) -> Float.compare(b, a));

        int best = hits.getFirst().row();
        assertThat(index.search(query, 5, p -> true, row -> row == best)).extracting(CatalogIndex.Hit::row).doesNotContain(best);
        assertThat(index.search(query, 5, p -> p.brand().equals("GTRACING"), row -> false))
                .isNotEmpty().allSatisfy(h -> assertThat(h.product().brand()).isEqualTo("GTRACING"));
    }

    @Test
    void topKAgreesWithSortingEveryScore() {
        CatalogIndex index = CatalogIndex.build(catalog, encoder, Optional.empty(), CatalogIndex.Progress.NONE);
        for (String text : List.of("coffee table", "yellow balloons", "USB cable")) {
            float[] query = encoder.embed(List.of(text))[0];
            List<Integer> expected = java.util.stream.IntStream.range(0, index.size()).boxed()
                    .sorted((a, b) -> {
                        int byScore = Double.compare(naiveDot(query, index.vector(b)), naiveDot(query, index.vector(a)));
                        return byScore != 0 ? byScore : Integer.compare(a, b);
                    })
                    .limit(50).toList();
            List<CatalogIndex.Hit> hits = index.search(query, 50, p -> true, row -> false);
            assertThat(hits).extracting(CatalogIndex.Hit::row).containsExactlyElementsOf(expected);
            assertThat(hits.getFirst().score()).isCloseTo((float) naiveDot(query, index.vector(expected.getFirst())),
                    org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    private static double naiveDot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
