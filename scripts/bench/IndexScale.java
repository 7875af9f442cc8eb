/*
 * Vector index at catalog scale: embedding throughput, HNSW build time, size on disk, open time,
 * retrieval latency (exact scan and HNSW, one thread) and recall@10 of HNSW against the exact scan,
 * unfiltered and with a filter that keeps 1% of the products.
 *
 *   java -Xmx8g --add-modules jdk.incubator.vector -cp "cli/target/recops/lib/*" scripts/bench/IndexScale.java \
 *        CATALOG.jsonl EMBED INDEX_SIZES... [--m N] [--beam N] [--ef N[,N...]] [--queries N] [--version V] [--cache DIR]
 *
 * Several --ef values search the same built index (ef is a search-time parameter), one row each.
 * --cache DIR takes the EMBED products' vectors from an embedding cache (`recops catalog embed
 * --out DIR` of the same catalog and version) instead of embedding them, and skips the
 * throughput comparison; --version picks the shipped version (default 1).
 *
 * CATALOG is a `recops catalog generate` file with at least max(INDEX_SIZES) + 520 products. The
 * first EMBED products are embedded for real by the shipped version 1 (all-MiniLM-L6-v2, quantized,
 * 384-d) through CatalogIndex.build, the path serve takes, and timed against the encoder's own
 * batch calls over the same texts. Index sizes above EMBED get vectors made by mixing: product i's
 * vector is normalise(e[a] + e[b]) for two embedded products a, b drawn at random (seed i), with
 * product i's own attributes (its group gives the 1% filter); say so when quoting them. Queries:
 * the 480 WANDS queries and the titles of 520 products that are in no index, embedded for real.
 */
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.HnswIndex;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.Vectors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

public class IndexScale {
    public static void main(String[] args) throws Exception {
        Path catalogFile = Path.of(args[0]);
        int embedCount = Integer.parseInt(args[1]);
        List<Integer> sizes = new ArrayList<>();
        HnswIndex.Params params = HnswIndex.Params.DEFAULT;
        int m = params.maxConn(), beam = params.beamWidth();
        List<Integer> efs = new ArrayList<>(List.of(params.efSearch()));
        int queryCount = 1000;
        String versionName = "1";
        Optional<dev.recops.engine.catalog.EmbeddingCache> cache = Optional.empty();
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--ef" -> efs = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--queries" -> queryCount = Integer.parseInt(args[++i]);
                case "--m" -> m = Integer.parseInt(args[++i]);
                case "--beam" -> beam = Integer.parseInt(args[++i]);
                case "--version" -> versionName = args[++i];
                case "--cache" -> cache = Optional.of(new dev.recops.engine.catalog.EmbeddingCache(Path.of(args[++i])));
                default -> sizes.add(Integer.parseInt(args[i]));
            }
        }
        params = new HnswIndex.Params(m, beam, efs.getFirst());
        Path home = Path.of(System.getProperty("recops.home", "cli/target/recops"));
        String chosen = versionName;
        ModelVersion version = new ModelRepository(home.resolve("models")).scan().versionsOf("search-encoder").stream()
                .filter(v -> v.version().equals(chosen)).findFirst().orElseThrow();
        Catalog all = CatalogLoader.load(catalogFile);
        int maxSize = sizes.stream().mapToInt(Integer::intValue).max().orElse(embedCount);
        if (all.size() < Math.max(maxSize, embedCount) + 520) {
            throw new IllegalArgumentException("the catalog needs at least " + (Math.max(maxSize, embedCount) + 520) + " products");
        }
        System.out.printf(Locale.ROOT, "# %d cores, %s, max heap %d MiB, %s; HNSW M %d, beam %d, first ef %d%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), Runtime.getRuntime().maxMemory() >> 20,
                java.time.Instant.now(), m, beam, efs.getFirst());
        try (TextEncoder encoder = TextEncoder.load(version, 1)) {
            int dim = encoder.dimension();
            Catalog embedded = new Catalog(catalogFile, all.contentHash(), all.products().subList(0, embedCount), List.of());
            long t0 = System.nanoTime();
            int[] computed = {0};
            CatalogIndex built = CatalogIndex.build(embedded, encoder, cache, (done, total) -> computed[0] = total);
            double buildSeconds = (System.nanoTime() - t0) / 1e9;
            if (cache.isPresent() && computed[0] > 0) {
                throw new IllegalStateException(computed[0] + " of the first " + embedCount + " products were not in the cache");
            }
            // The encoder's own batch throughput on the same texts: batches of 32 of similar length, nothing else.
            List<String> texts = new ArrayList<>(embedded.products().stream().map(p -> CatalogIndex.text(version, p)).toList());
            texts.sort(java.util.Comparator.comparingInt(String::length));
            long t1 = System.nanoTime();
            for (int from = 0; from < texts.size() && cache.isEmpty(); from += 32) {
                encoder.embed(texts.subList(from, Math.min(texts.size(), from + 32)));
            }
            double rawSeconds = (System.nanoTime() - t1) / 1e9;
            if (cache.isEmpty()) System.out.printf(Locale.ROOT, "embedding %d products: %.1f s through CatalogIndex.build (%.0f texts/s); encoder alone %.1f s "
                            + "(%.0f texts/s): %.0f%% of the encoder's batch throughput%n", embedCount, buildSeconds, embedCount / buildSeconds,
                    rawSeconds, embedCount / rawSeconds, 100 * rawSeconds / buildSeconds);

            float[] base = new float[embedCount * dim];
            for (int row = 0; row < embedCount; row++) {
                System.arraycopy(built.vector(row), 0, base, row * dim, dim);
            }
            List<String> queryTexts = new ArrayList<>();
            Files.readAllLines(Path.of("testdata/wands/queries.csv")).stream().skip(1).map(l -> l.split(",")[1].replace("\"", ""))
                    .filter(q -> !q.isBlank()).forEach(queryTexts::add);
            all.products().subList(all.size() - 520, all.size()).forEach(p -> queryTexts.add(p.title()));
            List<String> used = queryTexts.subList(0, Math.min(queryCount, queryTexts.size()));
            float[][] queries = new float[used.size()][];
            for (int from = 0; from < used.size(); from += 32) {
                float[][] q = encoder.embed(used.subList(from, Math.min(used.size(), from + 32)));
                System.arraycopy(q, 0, queries, from, q.length);
            }
            System.out.println("| products | vectors | ef | HNSW build (s) | on disk (MiB) | open (ms) | exact p50 / p99 (ms) | HNSW p50 / p99 (ms) | recall@10 | recall@10, 1% filter | HNSW 1% filter p50 / p99 (ms) |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            for (int n : sizes) {
                row(all, n, embedCount, base, dim, queries, params, efs);
            }
        }
    }

    private static void row(Catalog all, int n, int embedCount, float[] base, int dim, float[][] queries, HnswIndex.Params params,
            List<Integer> efs) throws Exception {
        Catalog catalog = new Catalog(all.source(), all.contentHash(), all.products().subList(0, n), List.of());
        float[] vectors = new float[n * dim];
        for (int i = 0; i < n; i++) {
            if (i < embedCount) {
                System.arraycopy(base, i * dim, vectors, i * dim, dim);
                continue;
            }
            SplittableRandom r = new SplittableRandom(i);
            int a = r.nextInt(embedCount);
            int b = r.nextInt(embedCount);
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = base[a * dim + d] + base[b * dim + d];
            }
            Vectors.normalize(v);
            System.arraycopy(v, 0, vectors, i * dim, dim);
        }
        CatalogIndex exact = CatalogIndex.fromVectors(catalog, dim, vectors);
        Path dir = Files.createTempDirectory("recops-index-scale");
        String modelKey = "0".repeat(64);
        long t0 = System.nanoTime();
        HnswIndex.openOrBuild(dir, catalog, dim, true, modelKey, params, (row, into) -> System.arraycopy(vectors, row * dim, into, 0, dim),
                CatalogIndex.Progress.NONE).close();
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        for (int ef : efs) {
            HnswIndex.Params searchParams = new HnswIndex.Params(params.maxConn(), params.beamWidth(), ef);
            long t1 = System.nanoTime();
            HnswIndex opened = HnswIndex.openOrBuild(dir, catalog, dim, true, modelKey, searchParams,
                    (row, into) -> { throw new IllegalStateException("a persisted index must open, not build"); }, CatalogIndex.Progress.NONE);
            double openMillis = (System.nanoTime() - t1) / 1e6;
            measure(catalog, n, embedCount, exact, exact.withHnsw(opened), queries, ef, buildSeconds, opened.sizeOnDisk(), openMillis);
            opened.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static void measure(Catalog catalog, int n, int embedCount, CatalogIndex exact, CatalogIndex hnsw, float[][] queries, int ef,
            double buildSeconds, long bytes, double openMillis) {
        ProductFilter onePercent = new ProductFilter(Map.of("group", "g42"), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY);
        for (int warm = 0; warm < 100; warm++) { // JIT
            float[] q = queries[warm % queries.length];
            exact.search(q, 10, p -> true, row -> false);
            hnsw.search(q, 10, ProductFilter.NONE, Set.of());
            hnsw.search(q, 10, onePercent, Set.of());
        }
        long[] exactNanos = new long[queries.length];
        long[] hnswNanos = new long[queries.length];
        long[] filteredNanos = new long[queries.length];
        int found = 0, foundFiltered = 0, wanted = 0, wantedFiltered = 0;
        for (int i = 0; i < queries.length; i++) {
            float[] q = queries[i];
            long s0 = System.nanoTime();
            List<CatalogIndex.Hit> truth = exact.search(q, 10, p -> true, row -> false);
            long s1 = System.nanoTime();
            List<CatalogIndex.Hit> got = hnsw.search(q, 10, ProductFilter.NONE, Set.of());
            long s2 = System.nanoTime();
            List<CatalogIndex.Hit> gotFiltered = hnsw.search(q, 10, onePercent, Set.of());
            long s3 = System.nanoTime();
            exactNanos[i] = s1 - s0;
            hnswNanos[i] = s2 - s1;
            filteredNanos[i] = s3 - s2;
            Set<Integer> t = new HashSet<>();
            truth.forEach(h -> t.add(h.row()));
            found += (int) got.stream().filter(h -> t.contains(h.row())).count();
            wanted += t.size();
            Set<Integer> tf = new HashSet<>();
            exact.search(q, 10, onePercent::matches, row -> false).forEach(h -> tf.add(h.row()));
            foundFiltered += (int) gotFiltered.stream().filter(h -> tf.contains(h.row())).count();
            wantedFiltered += tf.size();
        }
        System.out.printf(Locale.ROOT, "| %,d | %s | %d | %.1f | %.1f | %.0f | %s | %s | %.3f | %.3f | %s |%n", n,
                n <= embedCount ? "embedded" : String.format(Locale.ROOT, "%,d embedded + mixed", embedCount), ef, buildSeconds,
                bytes / 1048576.0, openMillis, pct(exactNanos), pct(hnswNanos), found / (double) wanted, foundFiltered / (double) wantedFiltered,
                pct(filteredNanos));
    }

    private static String pct(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.2f / %.2f", s[s.length / 2] / 1e6, s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6);
    }
}
