package dev.recops.cli;

import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.serve.ServeListener;

import java.io.Console;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows what {@code recops serve} is loading on standard error, with the progress of embedding
 * the catalog and building its index ({@link ProgressLine}).
 */
final class LoadProgress implements ServeListener {
    private final PrintWriter err;
    private final ProgressLine progress;

    LoadProgress(PrintWriter err) {
        this.err = err;
        Console console = System.console();
        this.progress = new ProgressLine(err, console != null && console.isTerminal());
    }

    @Override
    public void catalogLoaded(Catalog catalog) {
        err.printf("recops: loaded catalog %s: %d products%n", catalog.source(), catalog.size());
        if (!catalog.rejectedRows().isEmpty()) {
            err.printf("recops: warning: catalog %s: %s rejected%n", catalog.source(), Plural.of(catalog.rejectedRows().size(), "row"));
            catalog.rejectedRows().stream().limit(10).forEach(r -> err.printf("recops: warning:   %s%n", r));
            if (catalog.rejectedRows().size() > 10) {
                err.printf("recops: warning:   ... and %d more%n", catalog.rejectedRows().size() - 10);
            }
        }
        err.flush();
    }

    @Override
    public void versionRejected(ModelRepository.Rejected rejected) {
        err.printf("recops: warning: skipping %s: %s%n", rejected.dir(), rejected.reason());
        err.flush();
    }

    @Override
    public void embedding(ModelVersion version, int done, int total) {
        progress.update(version.id() + ": embedding the catalog", "products, cached for the next start", done, total);
    }

    @Override
    public void indexing(ModelVersion version, int done, int total) {
        progress.update(version.id() + ": building the HNSW index", "products, kept for the next start", done, total);
    }

    @Override
    public void indexingStep(ModelVersion version, String what) {
        err.printf("recops: %s: %s%n", version.id(), what);
        err.flush();
    }

    @Override
    public void versionLoaded(ModelVersion version, Duration took, boolean embeddingsFromCache) {
        err.printf(Locale.ROOT, "recops: %s loaded in %.2f s (catalog embeddings %s)%n", version.id(), took.toNanos() / 1e9,
                embeddingsFromCache ? "from cache" : "computed");
        err.flush();
    }

    @Override
    public void versionFailed(ModelVersion version, String reason) {
        err.printf("recops: warning: %s not loaded: %s%n", version.id(), reason);
        err.flush();
    }
}
