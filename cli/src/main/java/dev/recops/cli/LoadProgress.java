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
 * Shows what {@code recops serve} is loading on standard error: a live progress line while the
 * catalog is embedded when standard error is a terminal, plain lines otherwise (cron, CI, logs).
 */
final class LoadProgress implements ServeListener {
    private final PrintWriter err;
    private final boolean terminal;
    private int lastPercent = -1;

    LoadProgress(PrintWriter err) {
        this.err = err;
        Console console = System.console();
        this.terminal = console != null && console.isTerminal();
    }

    @Override
    public void catalogLoaded(Catalog catalog) {
        err.printf("recops: loaded catalog %s: %d products%n", catalog.source(), catalog.size());
        if (!catalog.rejectedRows().isEmpty()) {
            err.printf("recops: warning: catalog %s: %d rows rejected%n", catalog.source(), catalog.rejectedRows().size());
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
        progress(version, "embedding", "products (cached for the next start)", "catalog", done, total);
    }

    @Override
    public void indexing(ModelVersion version, int done, int total) {
        progress(version, "building the HNSW index of", "products (kept for the next start)", "HNSW index", done, total);
    }

    /** A live line on a terminal; otherwise one line when the work starts. */
    private void progress(ModelVersion version, String doing, String what, String thing, int done, int total) {
        if (!terminal) {
            if (done == 0) {
                err.printf("recops: %s: %s %d %s%n", version.id(), doing, total, what);
                err.flush();
            }
            return;
        }
        int percent = total == 0 ? 100 : (int) (done * 100L / total);
        if (percent != lastPercent) {
            lastPercent = percent;
            err.printf("\rrecops: %s: %s %3d%% (%d/%d)", version.id(), thing, percent, done, total);
            if (done == total) {
                err.print("\r\033[K");
                lastPercent = -1;
            }
            err.flush();
        }
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
