package dev.recops.engine.catalog;

import dev.recops.engine.model.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HNSW index against the exact scan as the oracle, over random unit vectors (clustered, as
 * embeddings are): recall with and without a selective filter, persistence, resumed builds,
 * live updates.
 */
class HnswIndexTest {
    private static final int DIM = 32;
    private static final int N = 4_000;
    private static final String MODEL = "0".repeat(64);
    private static final HnswIndex.Params PARAMS = new HnswIndex.Params(16, 100, 100);

    @TempDir
    Path dir;

    private static Catalog catalog(int n) {
        List<Product> products = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            products.add(new Product("P" + i, "product " + i, "brand" + (i % 7), i % 2 == 0 ? "red" : "blue",
                    Map.of("shard", "s" + (i % 100)), i % 50, i % 3 != 0));
        }
        return new Catalog(Path.of("generated.csv"), "0".repeat(64), products, List.of());
    }

    /** Unit vectors around 40 random centres. */
    private static float[] vectors(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] centres = new float[40][DIM];
        for (float[] c : centres) {
            for (int d = 0; d < DIM; d++) {
                c[d] = (float) r.nextGaussian();
            }
        }
        float[] out = new float[n * DIM];
        for (int i = 0; i < n; i++) {
            float[] v = new float[DIM];
            float[] c = centres[r.nextInt(centres.length)];
            for (int d = 0; d < DIM; d++) {
                v[d] = c[d] + 0.6f * (float) r.nextGaussian();
            }
            Vectors.normalize(v);
            System.arraycopy(v, 0, out, i * DIM, DIM);
        }
        return out;
    }

    private static CatalogIndex exact(Catalog c, float[] v) {
        return CatalogIndex.fromVectors(c, DIM, v);
    }

    private HnswIndex build(Catalog c, float[] v, Path where) {
        return HnswIndex.openOrBuild(where, c, DIM, true, MODEL, PARAMS, (row, into) -> System.arraycopy(v, row * DIM, into, 0, DIM),
                CatalogIndex.Progress.NONE);
    }

    private static double recall(CatalogIndex exact, CatalogIndex approximate, ProductFilter filter, int queries) {
        float[] q = vectors(queries, 99);
        int found = 0;
        int wanted = 0;
        for (int i = 0; i < queries; i++) {
            float[] query = java.util.Arrays.copyOfRange(q, i * DIM, (i + 1) * DIM);
            Set<Integer> truth = new HashSet<>();
            exact.search(query, 10, filter::matches, row -> false).forEach(h -> truth.add(h.row()));
            List<CatalogIndex.Hit> got = approximate.search(query, 10, filter, Set.of());
            assertThat(got).allSatisfy(h -> assertThat(filter.matches(h.product())).isTrue());
            found += (int) got.stream().filter(h -> truth.contains(h.row())).count();
            wanted += truth.size();
        }
        return found / (double) wanted;
    }

    @Test
    void recallAgainstTheExactScanWithAndWithoutASelectiveFilter() {
        Catalog c = catalog(N);
        float[] v = vectors(N, 1);
        CatalogIndex exact = exact(c, v);
        CatalogIndex hnsw = exact.withHnsw(build(c, v, dir.resolve("i")));
        assertThat(recall(exact, hnsw, ProductFilter.NONE, 200)).isGreaterThanOrEqualTo(0.95);
        ProductFilter onePercent = new ProductFilter(Map.of("shard", "s7"), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY);
        assertThat(recall(exact, hnsw, onePercent, 100)).isGreaterThanOrEqualTo(0.9);
        ProductFilter mixed = new ProductFilter(Map.of("color", "RED"), 10, 20, ProductFilter.Stock.IN_STOCK);
        assertThat(recall(exact, hnsw, mixed, 100)).isGreaterThanOrEqualTo(0.9);
        float[] query = java.util.Arrays.copyOfRange(v, 0, DIM);
        assertThat(hnsw.search(query, 5, ProductFilter.NONE, Set.of(0))).extracting(CatalogIndex.Hit::row).doesNotContain(0);
        hnsw.close();
    }

    @Test
    void aRestartOpensThePersistedIndexAndAChangedCatalogRebuildsIt() {
        Catalog c = catalog(1_000);
        float[] v = vectors(1_000, 2);
        try (HnswIndex first = build(c, v, dir)) {
            assertThat(first.opened()).isFalse();
        }
        try (HnswIndex again = build(c, v, dir)) {
            assertThat(again.opened()).as("same content: opened, not built").isTrue();
        }
        Catalog changed = c.withProducts(List.of(new Product("P1", "renamed", "", "")), List.of());
        try (HnswIndex rebuilt = build(changed, v, dir)) {
            assertThat(rebuilt.opened()).isFalse();
        }
    }

    @Test
    void anInterruptedBuildResumesFromItsLastCheckpoint() {
        Catalog c = catalog(1_000);
        float[] v = vectors(1_000, 3);
        AtomicInteger asked = new AtomicInteger();
        assertThatThrownBy(() -> HnswIndex.openOrBuild(dir, c, DIM, true, MODEL, PARAMS, (row, into) -> {
            if (row == 650) {
                throw new IllegalStateException("killed");
            }
            System.arraycopy(v, row * DIM, into, 0, DIM);
        }, CatalogIndex.Progress.NONE, 200)).hasMessageContaining("killed");
        Set<Integer> rows = new HashSet<>();
        try (HnswIndex resumed = HnswIndex.openOrBuild(dir, c, DIM, true, MODEL, PARAMS, (row, into) -> {
            asked.incrementAndGet();
            rows.add(row);
            System.arraycopy(v, row * DIM, into, 0, DIM);
        }, CatalogIndex.Progress.NONE, 200)) {
            assertThat(asked.get()).as("rows 0-599 were committed before the kill").isEqualTo(400);
            assertThat(rows).allSatisfy(r -> assertThat(r).isGreaterThanOrEqualTo(600));
            CatalogIndex exact = exact(c, v);
            assertThat(recall(exact, exact.withHnsw(resumed), ProductFilter.NONE, 50)).isGreaterThanOrEqualTo(0.95);
        }
    }

    @Test
    void aResumedBuildOfTheSameProductsInAnotherOrderStartsOver() {
        Catalog c = catalog(600);
        float[] v = vectors(600, 5);
        assertThatThrownBy(() -> HnswIndex.openOrBuild(dir, c, DIM, true, MODEL, PARAMS, (row, into) -> {
            if (row == 450) {
                throw new IllegalStateException("killed");
            }
            System.arraycopy(v, row * DIM, into, 0, DIM);
        }, CatalogIndex.Progress.NONE, 200)).hasMessageContaining("killed");
        List<Product> reversed = new ArrayList<>(c.products().reversed());
        Catalog reordered = new Catalog(c.source(), c.contentHash(), reversed, List.of());
        AtomicInteger asked = new AtomicInteger();
        try (HnswIndex rebuilt = HnswIndex.openOrBuild(dir, reordered, DIM, true, MODEL, PARAMS, (row, into) -> {
            asked.incrementAndGet();
            System.arraycopy(v, (599 - row) * DIM, into, 0, DIM);
        }, CatalogIndex.Progress.NONE, 200)) {
            assertThat(asked.get()).isEqualTo(600);
            assertThat(rebuilt.opened()).isFalse();
        }
    }

    @Test
    void liveUpdatesGoIntoTheIndexAndARestartOpensTheUpdatedOne() {
        Catalog c = catalog(1_000);
        float[] v = vectors(1_000, 4);
        CatalogIndex served = exact(c, v).withHnsw(build(c, v, dir));
        float[] target = java.util.Arrays.copyOfRange(vectors(1, 77), 0, DIM);
        Product added = new Product("NEW", "new product", "", "", Map.of("shard", "s7"), 5, true);
        Catalog next = c.withProducts(List.of(added), List.of("P3"));
        CatalogIndex updated = served.updated(next, Product::embeddingText, Map.of(added.embeddingText(), target), MODEL);
        served.release();
        assertThat(updated.search(target, 1, ProductFilter.NONE, Set.of()).getFirst().product().productId()).isEqualTo("NEW");
        assertThat(updated.search(java.util.Arrays.copyOfRange(v, 3 * DIM, 4 * DIM), 10, ProductFilter.NONE, Set.of()))
                .extracting(h -> h.product().productId()).doesNotContain("P3");
        float[] all = new float[next.size() * DIM]; // the vectors live in the index: read them before closing it
        for (int row = 0; row < next.size(); row++) {
            System.arraycopy(updated.vector(row), 0, all, row * DIM, DIM);
        }
        assertThat(java.util.Arrays.copyOfRange(all, next.row("NEW").getAsInt() * DIM, (next.row("NEW").getAsInt() + 1) * DIM)).isEqualTo(target);
        assertThat(updated.vector(next.row("P5").getAsInt())).as("an unchanged product keeps its vector")
                .isEqualTo(java.util.Arrays.copyOfRange(v, 5 * DIM, 6 * DIM));
        Product p5 = next.product("P5");
        Product cheaper = new Product(p5.productId(), p5.title(), p5.brand(), p5.color(), p5.attributes(), p5.price() / 2, p5.inStock());
        Catalog patched = next.withProducts(List.of(cheaper), List.of());
        CatalogIndex repriced = updated.updated(patched, Product::embeddingText, Map.of(), MODEL);
        updated.release();
        assertThat(repriced.vector(patched.row("P5").getAsInt())).as("a price change keeps the vector, with nothing embedded")
                .isEqualTo(java.util.Arrays.copyOfRange(v, 5 * DIM, 6 * DIM));
        repriced.close();

        try (HnswIndex reopened = build(patched, all, dir)) {
            assertThat(reopened.opened()).as("the fingerprint follows the updates").isTrue();
        }
    }

    @Test
    void wordsAreSearchedInTheSameIndexAsTheInMemoryBm25DoesAndFollowUpdates() {
        Catalog esci = CatalogLoader.load(dev.recops.engine.TestData.esciProducts());
        float[] v = vectors(esci.size(), 5);
        LexicalIndex memory = LexicalIndex.build(esci);
        try (HnswIndex index = build(esci, v, dir)) {
            for (String q : List.of("office chair", "usb c cable", "harry potter", "stainless steel water bottle", "lego", "zzyzx")) {
                // The same BM25 scores rank by rank, ties in catalog order.
                List<LexicalIndex.Hit> persisted = index.lexical(q, 10, ProductFilter.NONE);
                List<LexicalIndex.Hit> inMemory = memory.search(q, 10, p -> true);
                assertThat(persisted).as(q).hasSameSizeAs(inMemory);
                for (int i = 0; i < persisted.size(); i++) {
                    assertThat(persisted.get(i).score()).as(q + " rank " + i).isCloseTo(inMemory.get(i).score(), org.assertj.core.data.Offset.offset(1e-5f));
                }
                assertThat(persisted).extracting(LexicalIndex.Hit::row).isEqualTo(inMemory.stream().map(LexicalIndex.Hit::row).toList());
            }
            assertThat(index.lexical("!!!", 10, ProductFilter.NONE)).isEmpty();
            String brand = esci.products().get(10).brand().toLowerCase(java.util.Locale.ROOT);
            ProductFilter byBrand = new ProductFilter(Map.of("brand", brand), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY);
            assertThat(index.lexical(esci.products().get(10).title(), 10, byBrand)).isNotEmpty()
                    .allSatisfy(h -> assertThat(h.product().brand().toLowerCase(java.util.Locale.ROOT)).isEqualTo(brand));

            Product added = new Product("NEW", "Zorblax titanium camping spork", "Zorblax", "", Map.of(), 5, true);
            Catalog next = esci.withProducts(List.of(added), List.of(esci.products().get(0).productId()));
            float[] nv = java.util.Arrays.copyOfRange(vectors(1, 6), 0, DIM);
            HnswIndex updated = index.updated(next, (row, into) -> System.arraycopy(nv, 0, into, 0, DIM), DIM, MODEL);
            assertThat(updated.lexical("titanium spork", 1, ProductFilter.NONE)).extracting(h -> h.product().productId()).containsExactly("NEW");
            assertThat(updated.lexical(esci.products().get(0).title(), 10, ProductFilter.NONE))
                    .extracting(h -> h.product().productId()).doesNotContain(esci.products().get(0).productId());
            updated.release();
        }
    }

    @Test
    void aSecondProcessServingTheSameContentSharesTheIndexReadOnlyUntilItsCatalogChanges() {
        Catalog c = catalog(1_000);
        float[] v = vectors(1_000, 8);
        HnswIndex.Vectors given = (row, into) -> System.arraycopy(v, row * DIM, into, 0, DIM);
        try (HnswIndex writer = HnswIndex.openOrBuildUnder(dir, "idx", c, DIM, true, MODEL, PARAMS, given, CatalogIndex.Progress.NONE)) {
            AtomicInteger asked = new AtomicInteger();
            HnswIndex shared = HnswIndex.openOrBuildUnder(dir, "idx", c, DIM, true, MODEL, PARAMS, (row, into) -> {
                asked.incrementAndGet();
                given.copy(row, into);
            }, CatalogIndex.Progress.NONE);
            assertThat(asked.get()).as("nothing built: the writer's index is opened").isZero();
            assertThat(shared.readOnly()).isTrue();
            assertThat(shared.dir()).isEqualTo(writer.dir());
            float[] query = java.util.Arrays.copyOfRange(v, 42 * DIM, 43 * DIM);
            assertThat(shared.search(query, 1, ProductFilter.NONE, List.of()).getFirst().row()).isEqualTo(42);

            Product added = new Product("NEW", "new product", "", "", Map.of(), 5, true);
            Catalog next = c.withProducts(List.of(added), List.of("P7"));
            float[] target = java.util.Arrays.copyOfRange(vectors(1, 77), 0, DIM);
            HnswIndex own = shared.updated(next, (row, into) -> System.arraycopy(target, 0, into, 0, DIM), DIM, MODEL);
            shared.close();
            assertThat(own.readOnly()).isFalse();
            assertThat(own.dir()).isNotEqualTo(writer.dir());
            assertThat(own.search(target, 1, ProductFilter.NONE, List.of()).getFirst().row()).isEqualTo(next.row("NEW").getAsInt());
            assertThat(own.search(query, 1, ProductFilter.NONE, List.of()).getFirst().row()).as("copied vectors")
                    .isEqualTo(next.row("P42").getAsInt());
            own.close();
        }
    }
}
