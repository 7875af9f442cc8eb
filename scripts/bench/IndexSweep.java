import dev.recops.engine.catalog.*;
import dev.recops.engine.model.*;
import java.nio.file.*;
import java.util.*;
/*
 * Recall@10 and retrieval latency (one thread) of an index serve persisted, at several ef (a
 * search-time parameter: the index is opened, never built), against the exact scan of the vectors
 * in serve's embedding cache, unfiltered and with a filter that keeps 1% of the products (group g42 of
 * `recops catalog generate`). Queries: the first 300 WANDS queries with the model's query prefix.
 *
 *   java -Xmx8g [--add-modules=jdk.incubator.vector] -cp "cli/target/recops/lib/*" scripts/bench/IndexSweep.java CATALOG CACHE_DIR MODEL_REPO M BEAM EF[,EF...]
 *
 * CATALOG must be the path serve was given (the index directory is keyed by it); the index is
 * looked for in CACHE_DIR's sibling vector-index/, as serve keeps it; the repository's first version is used.
 */
public class IndexSweep {
    public static void main(String[] a) throws Exception {
        Catalog c = CatalogLoader.load(Path.of(a[0]));
        Path cacheDir = Path.of(a[1]);
        ModelVersion v = new ModelRepository(Path.of(a[2])).scan().versionsOf("search-encoder").getFirst();
        int m = Integer.parseInt(a[3]);
        int beam = Integer.parseInt(a[4]);
        int[] efs = Arrays.stream(a[5].split(",")).mapToInt(Integer::parseInt).toArray();
        try (TextEncoder e = TextEncoder.load(v, 1)) {
            CatalogIndex exact = CatalogIndex.build(c, e, Optional.of(new EmbeddingCache(cacheDir)), (d, t) -> {
                if (d == 0) throw new IllegalStateException(t + " not cached");
            });
            List<String> texts = new ArrayList<>();
            Files.readAllLines(Path.of("testdata/wands/queries.csv")).stream().skip(1).map(l -> l.split(",")[1].replace("\"", ""))
                    .filter(q -> !q.isBlank()).limit(300).forEach(texts::add);
            float[][] queries = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i += 32) {
                float[][] q = e.embed(texts.subList(i, Math.min(texts.size(), i + 32)).stream().map(t -> v.manifest().queryPrefix() + t).toList());
                System.arraycopy(q, 0, queries, i, q.length);
            }
            ProductFilter onePercent = new ProductFilter(Map.of("group", "g42"), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY);
            List<Set<Integer>> truth = new ArrayList<>(), filteredTruth = new ArrayList<>();
            for (float[] q : queries) {
                Set<Integer> t = new HashSet<>(), f = new HashSet<>();
                exact.search(q, 10, p -> true, r -> false).forEach(h -> t.add(h.row()));
                exact.search(q, 10, onePercent::matches, r -> false).forEach(h -> f.add(h.row()));
                truth.add(t);
                filteredTruth.add(f);
            }
            for (int ef : efs) {
                CatalogIndex h = CatalogIndex.hnsw(c, e, Optional.empty(), cacheDir.resolveSibling("vector-index"), new HnswIndex.Params(m, beam, ef),
                        CatalogIndex.Progress.NONE, (d, t) -> { throw new IllegalStateException("must open, not build"); });
                for (int w = 0; w < 100; w++) h.search(queries[w % queries.length], 10, ProductFilter.NONE, Set.of());
                String[] row = new String[2];
                for (int f = 0; f < 2; f++) {
                    ProductFilter filter = f == 0 ? ProductFilter.NONE : onePercent;
                    List<Set<Integer>> oracle = f == 0 ? truth : filteredTruth;
                    long[] ns = new long[queries.length];
                    int found = 0, wanted = 0;
                    for (int i = 0; i < queries.length; i++) {
                        long t0 = System.nanoTime();
                        List<CatalogIndex.Hit> got = h.search(queries[i], 10, filter, Set.of());
                        ns[i] = System.nanoTime() - t0;
                        for (CatalogIndex.Hit x : got) if (oracle.get(i).contains(x.row())) found++;
                        wanted += oracle.get(i).size();
                    }
                    Arrays.sort(ns);
                    row[f] = String.format(Locale.ROOT, "recall@10 %.3f, retrieval p50 %.2f / p99 %.2f ms", found / (double) wanted, ns[ns.length / 2] / 1e6,
                            ns[(int) Math.ceil(ns.length * 0.99) - 1] / 1e6);
                }
                System.out.printf(Locale.ROOT, "M %d, beam %d, ef %d: %s; 1%% filter (group g42): %s (%d WANDS queries)%n", m, beam, ef, row[0], row[1], queries.length);
                h.close();
            }
        }
    }
}
