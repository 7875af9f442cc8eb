/*
 * Seeds serve's embedding cache for a catalog too large to embed here (10^6 products would take
 * over two hours on two cores): the first EMBEDDED products' vectors come from a real
 * `recops catalog embed` run (read from EMBED_DIR), and every later product i gets
 * normalise(e[a] + e[b]) for two embedded products a, b drawn at random (seed i), as IndexScale
 * mixes them. The result is written to OUT_CACHE (serve's --cache-dir), keyed by each product's
 * exact text, so serve's first start builds its index from it without embedding. Synthetic
 * vectors: figures about speed, memory and recall against exact, never about quality.
 *
 *   java -Xmx8g -cp "cli/target/recops/lib/*" scripts/bench/MixCache.java CATALOG EMBEDDED EMBED_DIR OUT_CACHE \
 *        MODEL_REPO MODEL VERSION
 */
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.EmbeddingCache;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.Vectors;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

public class MixCache {
    public static void main(String[] args) throws Exception {
        Catalog all = CatalogLoader.load(Path.of(args[0]));
        int embedded = Integer.parseInt(args[1]);
        ModelVersion version = new ModelRepository(Path.of(args[4])).scan().versionsOf(args[5]).stream()
                .filter(v -> v.version().equals(args[6])).findFirst().orElseThrow();
        Catalog first = new Catalog(all.source(), all.contentHash(), all.products().subList(0, embedded), List.of());
        try (TextEncoder encoder = TextEncoder.load(version, 1)) {
            int[] computed = {0};
            CatalogIndex base = CatalogIndex.build(first, encoder, Optional.of(new EmbeddingCache(Path.of(args[2]))),
                    (done, total) -> computed[0] = total);
            if (computed[0] > 0) {
                throw new IllegalStateException(computed[0] + " of the first " + embedded + " products are not in " + args[2]);
            }
            int dim = encoder.dimension();
            Map<String, float[]> byText = HashMap.newHashMap(all.size());
            for (int i = 0; i < all.size(); i++) {
                float[] v;
                if (i < embedded) {
                    v = base.vector(i);
                } else {
                    SplittableRandom r = new SplittableRandom(i);
                    float[] a = base.vector(r.nextInt(embedded));
                    float[] b = base.vector(r.nextInt(embedded));
                    v = new float[dim];
                    for (int d = 0; d < dim; d++) {
                        v[d] = a[d] + b[d];
                    }
                    Vectors.normalize(v);
                }
                byText.put(CatalogIndex.text(version, all.products().get(i)), v);
            }
            CatalogIndex.remember(Optional.of(new EmbeddingCache(Path.of(args[3]))), version, dim, byText);
            System.out.printf("%d vectors (%d embedded, %d mixed) for %s written to %s%n", byText.size(), embedded, all.size() - embedded,
                    version.id(), args[3]);
        }
    }
}
