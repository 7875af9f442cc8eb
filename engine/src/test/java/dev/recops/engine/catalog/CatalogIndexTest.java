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
