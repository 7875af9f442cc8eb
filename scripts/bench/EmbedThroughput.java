/*
 * `recops catalog embed`'s throughput against the encoder's own: the same texts embedded through
 * CatalogIndex.embedShard (the command's path: sorted by length, batches of 32, appended to the
 * cache file every 1,024) and then by bare encoder.embed calls in batches of 32 of the same order,
 * in one run, four rounds in alternating order so drift on a shared machine shows.
 *
 *   java -cp "cli/target/recops/lib/*" scripts/bench/EmbedThroughput.java CATALOG N VERSION THREADS
 */
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public class EmbedThroughput {
    public static void main(String[] args) throws Exception {
        Catalog all = CatalogLoader.load(Path.of(args[0]));
        int n = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[3]);
        ModelVersion version = new ModelRepository(Path.of("cli/target/recops/models")).scan().versionsOf("search-encoder").stream()
                .filter(v -> v.version().equals(args[2])).findFirst().orElseThrow();
        Catalog catalog = new Catalog(all.source(), all.contentHash(), all.products().subList(0, n), List.of());
        List<String> texts = new ArrayList<>(catalog.products().stream().map(p -> CatalogIndex.text(version, p)).distinct().toList());
        texts.sort(java.util.Comparator.comparingInt(String::length));
        System.out.printf(Locale.ROOT, "# %d products (%d distinct texts), %s, %d threads, %d cores, %s%n", n, texts.size(), version.id(), threads,
                Runtime.getRuntime().availableProcessors(), java.time.Instant.now());
        try (TextEncoder encoder = TextEncoder.load(version, threads)) {
            encoder.embed(texts.subList(0, 64)); // warm-up
            for (int round = 1; round <= 4; round++) { // the order alternates, so a drift of the machine shows instead of biasing one side
                double job = 0;
                double bare = 0;
                int embedded = 0;
                for (int side = 0; side < 2; side++) {
                    if ((side + round) % 2 == 0) {
                        Path dir = Files.createTempDirectory("recops-embed");
                        long t0 = System.nanoTime();
                        embedded = CatalogIndex.embedShard(catalog, encoder, dir, 1, 1, CatalogIndex.Progress.NONE).embedded();
                        job = (System.nanoTime() - t0) / 1e9;
                    } else {
                        long t1 = System.nanoTime();
                        for (int from = 0; from < texts.size(); from += 32) {
                            encoder.embed(texts.subList(from, Math.min(texts.size(), from + 32)));
                        }
                        bare = (System.nanoTime() - t1) / 1e9;
                    }
                }
                System.out.printf(Locale.ROOT, "round %d: catalog embed %d texts in %.1f s (%.0f texts/s); encoder alone %.1f s (%.0f texts/s): %.0f%%%n",
                        round, embedded, job, embedded / job, bare, texts.size() / bare, 100 * bare / job);
            }
        }
    }
}
