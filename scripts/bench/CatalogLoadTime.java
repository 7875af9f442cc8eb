/*
 * One cold read of a catalog, timed, as serve's start does it: MODE parse reads and parses the
 * file (CatalogLoader.load), MODE snapshot reads the parsed products back from the snapshot
 * beside the cache (CatalogLoader.load with a snapshot directory, which first hashes the file and
 * writes the snapshot when there is none: run it once before timing). Prints the milliseconds and
 * the heap live after a full GC with the catalog held. One JVM per measurement: run it several
 * times, alternating the modes (scripts/bench/catalog-snapshot.sh does).
 *
 *   java -cp "cli/target/recops/lib/*" scripts/bench/CatalogLoadTime.java CATALOG SNAPSHOT_DIR parse|snapshot
 */
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogLoader;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

public class CatalogLoadTime {
    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        Optional<Path> snapshots = args[2].equals("snapshot") ? Optional.of(Path.of(args[1])) : Optional.empty();
        long t0 = System.nanoTime();
        Catalog c = CatalogLoader.load(file, snapshots);
        long nanos = System.nanoTime() - t0;
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "%s %d products %.0f ms, %.0f MiB live%n", args[2], c.products().size(), nanos / 1e6, live / 1048576.0);
    }
}
