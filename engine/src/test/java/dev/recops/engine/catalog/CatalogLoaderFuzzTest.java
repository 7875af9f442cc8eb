package dev.recops.engine.catalog;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Tag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Fuzzing catalogs (CSV and JSON Lines): each file is a catalog of valid products (unique ids,
 * titles present, rejected rows located) or refused with {@link RecopsException.InvalidInput}.
 */
@Tag("fuzz")
class CatalogLoaderFuzzTest {
    private static final Path DIR = tempDir();

    @FuzzTest(maxDuration = "15s")
    void everyFileIsACatalogOrAnExit2(FuzzedDataProvider data) throws IOException {
        Path file = DIR.resolve(data.consumeBoolean() ? "catalog.jsonl" : "catalog.csv");
        Files.write(file, data.consumeRemainingAsBytes());
        try {
            Catalog c = CatalogLoader.load(file);
            Set<String> ids = new HashSet<>();
            for (Product p : c.products()) {
                if (p.productId().isBlank() || p.title().isBlank() || !ids.add(p.productId())) {
                    throw new AssertionError("accepted an invalid or duplicate product: " + p);
                }
            }
            c.rejectedRows().forEach(r -> {
                if (r.line() < 1) {
                    throw new AssertionError("a rejected row without its line: " + r);
                }
            });
        } catch (RecopsException.InvalidInput refused) {
            // exit 2 on the command line, 400 through the admin API
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("recops-fuzz-catalog");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
