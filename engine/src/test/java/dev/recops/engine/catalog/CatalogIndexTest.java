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
}
