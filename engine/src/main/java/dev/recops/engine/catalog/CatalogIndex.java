package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ModelVersion;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;

/**
 * A catalog embedded by one model version, searched exactly: the score of a product is the dot
 * product of its vector with the query vector (cosine similarity, as vectors are normalised).
 *
 * <p>Immutable after {@link #build}; safe for concurrent searches.
 */
public final class CatalogIndex {
    /** Texts embedded per model call when building; sorted by length so batches pad little. */
    private static final int BUILD_BATCH = 32;
    /** Bump when what is embedded for a product changes, so old cache files stop matching. */
    private static final String EMBEDDING_RECIPE = "title | brand, v2";

    /** Reports embedding progress: {@code done} of {@code total} products. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void update(int done, int total);

        /** A step after the counted work that takes a while, for example merging an index's segments. */
        default void step(String what) {}
    }

    /** One search result. */
    public record Hit(int row, Product product, float score) {}

    private final Catalog catalog;
    private final int dimension;
    /** Row-major, one row per product; null when {@link #ann} holds the vectors. */
    private final float[] vectors;
    private final boolean fromCache;
    /** The approximate index that finds candidates, when one is used; null for exact search. */
    private final HnswIndex ann;

    /** Texts embedded between two appends of a shard job: what an interrupted job loses at most. */
    private static final int SHARD_CHUNK = 1024;

    private CatalogIndex(Catalog catalog, int dimension, float[] vectors, boolean fromCache, HnswIndex ann) {
        this.catalog = catalog;
        this.dimension = dimension;
        this.vectors = vectors;
        this.fromCache = fromCache;
        this.ann = ann;
    }

    /**
     * The catalog searched through its HNSW index in {@code root}: opened as persisted when one
     * indexes exactly this content with this model and these parameters (nothing is embedded or
     * read from the embedding cache then), else built from the vectors {@link #build} makes. The
     * vectors live only in the index's memory-mapped files: nothing of them stays on the heap.
     *
     * @param embedding told about products embedded (only when the index is built)
     * @param indexing told about products added to the index
     */
    public static CatalogIndex hnsw(Catalog catalog, Encoder encoder, Optional<EmbeddingCache> cache, Path root, HnswIndex.Params params,
            Progress embedding, Progress indexing) {
        ModelVersion version = encoder.version();
        int dim = encoder.dimension();
        String key = modelKey(version);
        String base = label(version) + "-" + key.substring(0, 12) + "-" + Catalog.fileKey(catalog.source());
        AtomicReference<CatalogIndex> exact = new AtomicReference<>();
        HnswIndex ann = HnswIndex.openOrBuildUnder(root, base, catalog, dim, version.manifest().normalize(), key, params, (row, into) -> {
            CatalogIndex e = exact.get();
            if (e == null) { // the build asks for its first vector alone, before it adds from every core
                e = build(catalog, encoder, cache, embedding);
                exact.set(e);
            }
            System.arraycopy(e.vectors, row * dim, into, 0, dim);
        }, indexing);
        return new CatalogIndex(catalog, dim, null, exact.get() == null || exact.get().fromCache(), ann);
    }

    /** The catalog of this exact index searched through {@code index}, which must index its vectors (benchmarks and tests). */
    public CatalogIndex withHnsw(HnswIndex index) {
        return new CatalogIndex(catalog, dimension, null, fromCache, index);
    }

    /** An exact index over vectors already computed (row-major, one row per product): benchmarks and tests. */
    public static CatalogIndex fromVectors(Catalog catalog, int dimension, float[] vectors) {
        if (vectors.length != catalog.size() * dimension) {
            throw new IllegalArgumentException(catalog.size() + " products but " + vectors.length / Math.max(1, dimension) + " vectors");
        }
        return new CatalogIndex(catalog, dimension, vectors, false, null);
    }

    /** The HNSW index in use, if any. */
    public Optional<HnswIndex> hnsw() {
        return Optional.ofNullable(ann);
    }

    /**
     * Embeds the products with {@code encoder}, except those whose text this exact model embedded
     * before and {@code cache} kept; what it embeds is added to the cache.
     *
     * @param cache where embeddings persist between starts; empty to always embed
     * @param progress told about the products embedded, not those read from the cache
     */
    public static CatalogIndex build(Catalog catalog, Encoder encoder, Optional<EmbeddingCache> cache, Progress progress) {
        Objects.requireNonNull(progress, "progress");
        int dim = encoder.dimension();
        int n = catalog.size();
        String key = modelKey(encoder.version());
        String label = label(encoder.version());
        EmbeddingCache.Entries cached = cache.map(c -> c.load(label, key, dim)).orElse(EmbeddingCache.Entries.NONE);
        float[] vectors = new float[n * dim];
        List<String> texts = new ArrayList<>(n);
        List<EmbeddingCache.TextKey> keys = new ArrayList<>(n);
        List<Integer> missing = new ArrayList<>();
        for (int row = 0; row < n; row++) {
            String text = text(encoder.version(), catalog.products().get(row));
            texts.add(text);
            if (cache.isEmpty()) { // no key to compute: every text is embedded
                missing.add(row);
                continue;
            }
            EmbeddingCache.TextKey k = EmbeddingCache.TextKey.of(text);
            keys.add(k);
            if (!cached.copy(k, vectors, row * dim)) {
                missing.add(row);
            }
        }
        if (!missing.isEmpty()) {
            embed(texts, missing, vectors, encoder, progress);
        }
        cache.ifPresent(c -> {
            if (cached.records() > 2 * n + 1024) { // mostly superseded records: keep only what is served
                c.rewrite(label, key, dim, keys, vectors);
            } else if (!missing.isEmpty()) {
                float[] added = new float[missing.size() * dim];
                for (int i = 0; i < missing.size(); i++) {
                    System.arraycopy(vectors, missing.get(i) * dim, added, i * dim, dim);
                }
                c.append(label, key, dim, missing.stream().map(keys::get).toList(), added);
            }
        });
        return new CatalogIndex(catalog, dim, vectors, missing.isEmpty(), null);
    }

    /**
     * This index over {@code next}: each product keeps its vector unless its text changed, when
     * {@code embedded} must hold the vector of its new text (as {@link #text} makes it).
     *
     * @throws IllegalArgumentException when a new or changed product has no vector in {@code embedded}
     */
    public CatalogIndex updated(Catalog next, ModelVersion version, Map<String, float[]> embedded) {
        return updated(next, p -> text(version, p), embedded, modelKey(version));
    }

    /** {@link #updated(Catalog, ModelVersion, Map)} with the text of a product and the model key given. */
    CatalogIndex updated(Catalog next, Function<Product, String> text, Map<String, float[]> embedded, String modelKey) {
        if (ann != null) {
            HnswIndex.Vectors changed = (row, into) -> System.arraycopy(embeddedVector(next.products().get(row), text, embedded), 0, into, 0, dimension);
            return new CatalogIndex(next, dimension, null, false, ann.updated(next, changed, dimension, modelKey));
        }
        float[] out = new float[next.size() * dimension];
        for (int row = 0; row < next.size(); row++) {
            Product p = next.products().get(row);
            OptionalInt old = catalog.row(p.productId());
            if (old.isPresent() && catalog.products().get(old.getAsInt()).embeddingText().equals(p.embeddingText())) {
                System.arraycopy(vectors, old.getAsInt() * dimension, out, row * dimension, dimension);
            } else {
                System.arraycopy(embeddedVector(p, text, embedded), 0, out, row * dimension, dimension);
            }
        }
        return new CatalogIndex(next, dimension, out, false, null);
    }

    private float[] embeddedVector(Product p, Function<Product, String> text, Map<String, float[]> embedded) {
        float[] v = embedded.get(text.apply(p));
        if (v == null || v.length != dimension) {
            throw new IllegalArgumentException("no vector for the new text of product " + p.productId());
        }
        return v;
    }

    /** What one {@link #embedShard} job found and did. */
    public record ShardReport(int products, int texts, int alreadyEmbedded, int embedded, Path file) {}

    /**
     * Embeds the products of shard {@code index} of {@code count} (from 1; a product's shard
     * follows a hash of its id, so every machine agrees) into that shard's embedding-cache file in
     * {@code dir}, appended every {@value #SHARD_CHUNK} texts: a job run again after an
     * interruption embeds only what its file lacks. Serve reads the shard files of a model from
     * its cache directory, so copying them there hands the work over. Texts are embedded in
     * batches of similar length, as serve's first build does.
     */
    public static ShardReport embedShard(Catalog catalog, Encoder encoder, Path dir, int index, int count, Progress progress) {
        return embedShard(catalog, encoder, dir, index, count, progress, SHARD_CHUNK);
    }

    /** As the public one, appending every {@code chunkSize} texts (tests use small ones). */
    static ShardReport embedShard(Catalog catalog, Encoder encoder, Path dir, int index, int count, Progress progress, int chunkSize) {
        EmbeddingCache out = EmbeddingCache.shard(dir, index, count);
        ModelVersion version = encoder.version();
        int dim = encoder.dimension();
        String key = modelKey(version);
        String label = label(version);
        EmbeddingCache.Entries have = out.load(label, key, dim);
        Map<EmbeddingCache.TextKey, String> missing = new LinkedHashMap<>();
        int products = 0;
        int already = 0;
        Set<EmbeddingCache.TextKey> seen = new HashSet<>();
        for (Product p : catalog.products()) {
            if (count > 1 && Math.floorMod(EmbeddingCache.TextKey.of(p.productId()).high(), count) != index - 1) {
                continue;
            }
            products++;
            String text = text(version, p);
            EmbeddingCache.TextKey k = EmbeddingCache.TextKey.of(text);
            if (!seen.add(k)) {
                continue; // two products with one text: one vector
            }
            if (have.contains(k)) {
                already++;
            } else {
                missing.put(k, text);
            }
        }
        List<Map.Entry<EmbeddingCache.TextKey, String>> order = new ArrayList<>(missing.entrySet());
        order.sort(Comparator.comparingInt(e -> e.getValue().length()));
        int n = order.size();
        progress.update(0, n);
        for (int from = 0; from < n; from += chunkSize) {
            List<Map.Entry<EmbeddingCache.TextKey, String>> chunk = order.subList(from, Math.min(n, from + chunkSize));
            float[] vectors = new float[chunk.size() * dim];
            int done = from;
            embedInBatches(encoder, chunk.stream().map(Map.Entry::getValue).toList(), vectors, j -> j, d -> progress.update(done + d, n));
            if (!out.append(label, key, dim, chunk.stream().map(Map.Entry::getKey).toList(), vectors)) {
                throw new RecopsException.Failure("cache_unwritable", "cannot write " + out.fileFor(label, key)
                        + " (see the warning above); what was written is kept, run again to resume", null);
            }
        }
        return new ShardReport(products, seen.size(), already, n, out.fileFor(label, key));
    }

    /** Adds vectors embedded outside {@link #build} (live updates) to the model's cache file, so a restart need not embed them. */
    public static void remember(Optional<EmbeddingCache> cache, ModelVersion version, int dimension, Map<String, float[]> byText) {
        if (cache.isEmpty() || byText.isEmpty()) {
            return;
        }
        List<EmbeddingCache.TextKey> keys = new ArrayList<>(byText.size());
        float[] vectors = new float[byText.size() * dimension];
        int i = 0;
        for (Map.Entry<String, float[]> e : byText.entrySet()) {
            keys.add(EmbeddingCache.TextKey.of(e.getKey()));
            System.arraycopy(e.getValue(), 0, vectors, i++ * dimension, dimension);
        }
        cache.get().append(label(version), modelKey(version), dimension, keys, vectors);
    }

    /** The text a version embeds for a product: its document prefix, then {@code title | brand}. */
    public static String text(ModelVersion version, Product p) {
        return version.manifest().documentPrefix() + p.embeddingText();
    }

    private static void embed(List<String> texts, List<Integer> rows, float[] vectors, Encoder encoder, Progress progress) {
        List<Integer> order = new ArrayList<>(rows);
        order.sort(Comparator.comparingInt(i -> texts.get(i).length())); // similar lengths pad little
        int n = order.size();
        progress.update(0, n);
        embedInBatches(encoder, order.stream().map(texts::get).toList(), vectors, order::get, done -> progress.update(done, n));
    }

    /**
     * Embeds {@code texts}, in the order given, in model calls of {@value #BUILD_BATCH}: text i's
     * vector goes to row {@code rowOf(i)} of {@code into}; {@code done} hears the texts embedded so
     * far after each call.
     */
    private static void embedInBatches(Encoder encoder, List<String> texts, float[] into, IntUnaryOperator rowOf,
            IntConsumer done) {
        int dim = encoder.dimension();
        for (int from = 0; from < texts.size(); from += BUILD_BATCH) {
            int to = Math.min(texts.size(), from + BUILD_BATCH);
            float[][] embedded = encoder.embed(texts.subList(from, to));
            for (int j = from; j < to; j++) {
                System.arraycopy(embedded[j - from], 0, into, rowOf.applyAsInt(j) * dim, dim);
            }
            done.accept(to);
        }
    }

    private static String label(ModelVersion version) {
        return version.name() + "-" + version.version();
    }

    /** What decides a model's vectors for a given text: its files, pooling, normalisation, token limit and prefix. */
    static String modelKey(ModelVersion version) {
        String material = String.join("\n",
                version.id(),
                version.manifest().sha256().toString(),
                version.manifest().pooling().name(),
                Boolean.toString(version.manifest().normalize()),
                Integer.toString(version.manifest().maxTokens()),
                EMBEDDING_RECIPE);
        return CatalogLoader.sha256(material.getBytes(StandardCharsets.UTF_8));
    }

    public Catalog catalog() {
        return catalog;
    }

    public int size() {
        return catalog.size();
    }

    public int dimension() {
        return dimension;
    }

    /** Whether every vector came from the on-disk cache rather than the model. */
    public boolean fromCache() {
        return fromCache;
    }

    /** The row of a product, if the catalog has it. */
    public OptionalInt row(String productId) {
        return catalog.row(productId);
    }

    public Product product(int row) {
        return catalog.products().get(row);
    }

    /** A copy of one product's vector. */
    public float[] vector(int row) {
        float[] v = new float[dimension];
        if (vectors == null) {
            ann.rawVectors().copy(row, v);
        } else {
            System.arraycopy(vectors, row * dimension, v, 0, dimension);
        }
        return v;
    }

    /**
     * The {@code k} best products for {@code query} among those {@code filter} keeps, never one of
     * {@code excludedRows}: with an HNSW index, its candidates rescored with the full-precision
     * vectors (approximate: a product the graph search missed is missed); without one, exact.
     * Ties are broken by catalog order.
     */
    public List<Hit> search(float[] query, int k, ProductFilter filter, Set<Integer> excludedRows) {
        if (ann == null) {
            return search(query, k, filter::matches, excludedRows::contains);
        }
        List<String> excludedIds = excludedRows.stream().map(r -> catalog.products().get(r).productId()).toList();
        List<HnswIndex.Candidate> candidates = ann.search(query, k, filter, excludedIds);
        List<Hit> hits = new ArrayList<>(Math.min(k, candidates.size()));
        for (HnswIndex.Candidate c : candidates.subList(0, Math.min(k, candidates.size()))) {
            hits.add(new Hit(c.row(), catalog.products().get(c.row()), c.score()));
        }
        return hits;
    }

    /**
     * Runs up to {@code searches} searches (with products' own vectors and titles as queries)
     * within {@code budgetNanos}, so the first requests after ready do not pay for loading the
     * search code and paging in the index: cold, the first searches over 10^5 products took
     * 250-340 ms against 15-20 ms warm.
     */
    public void warm(int searches, long budgetNanos) {
        long deadline = System.nanoTime() + budgetNanos;
        int n = size();
        for (int i = 0; i < searches && n > 0 && System.nanoTime() < deadline; i++) {
            int row = (int) ((long) i * 7919 % n);
            search(vector(row), 10, ProductFilter.NONE, Set.of());
            if (ann != null) {
                ann.lexical(catalog.products().get(row).title(), 10, ProductFilter.NONE);
            }
        }
    }

    /** Frees the HNSW index's files and writer (the version is unloaded). */
    public void close() {
        if (ann != null) {
            ann.close();
        }
    }

    /** Frees this snapshot's reader of the HNSW index; the index itself stays with its successor. */
    public void release() {
        if (ann != null) {
            ann.release();
        }
    }

    /**
     * The {@code k} products with the highest dot product with {@code query}, best first; ties
     * broken by catalog order.
     *
     * @param query a vector of {@link #dimension()} floats
     * @param k how many to return, at least 1
     * @param filter products to consider
     * @param excludeRow rows never to return (for example products the user has seen)
     */
    public List<Hit> search(float[] query, int k, Predicate<Product> filter, IntPredicate excludeRow) {
        if (query.length != dimension) {
            throw new IllegalArgumentException("query has " + query.length + " dimensions, index has " + dimension);
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1");
        }
        // The best k so far, best first, kept by insertion: k is small (at most 100), and after
        // the first rows most candidates fail the one comparison with the current k-th score.
        int[] rows = new int[k];
        float[] scores = new float[k];
        int found = 0;
        List<Product> products = catalog.products();
        HnswIndex.Vectors.Reader mapped = vectors == null ? ann.rawVectors() : null; // the exact oracle over an HNSW index's vectors
        for (int row = 0; row < products.size(); row++) {
            if (excludeRow.test(row) || !filter.test(products.get(row))) {
                continue;
            }
            float score = mapped == null ? dot(query, row * dimension) : mapped.dot(query, row);
            if (found == k && score <= scores[k - 1]) {
                continue; // ties keep the earlier row
            }
            int at = found == k ? k - 1 : found++;
            while (at > 0 && scores[at - 1] < score) {
                scores[at] = scores[at - 1];
                rows[at] = rows[at - 1];
                at--;
            }
            scores[at] = score;
            rows[at] = row;
        }
        List<Hit> best = new ArrayList<>(found);
        for (int i = 0; i < found; i++) {
            best.add(new Hit(rows[i], products.get(rows[i]), scores[i]));
        }
        return best;
    }

    /**
     * Dot product with eight independent accumulators: a single float accumulator is one long
     * dependency chain the JIT may not reorder, and this scan is most of a search's CPU time.
     */
    private float dot(float[] q, int offset) {
        float[] v = vectors;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int d = 0;
        for (int end = dimension - 7; d < end; d += 8) {
            int o = offset + d;
            s0 += q[d] * v[o];
            s1 += q[d + 1] * v[o + 1];
            s2 += q[d + 2] * v[o + 2];
            s3 += q[d + 3] * v[o + 3];
            s4 += q[d + 4] * v[o + 4];
            s5 += q[d + 5] * v[o + 5];
            s6 += q[d + 6] * v[o + 6];
            s7 += q[d + 7] * v[o + 7];
        }
        float sum = (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7);
        for (; d < dimension; d++) {
            sum += q[d] * v[offset + d];
        }
        return sum;
    }
}
