package dev.recops.engine.serve;

import dev.recops.batching.BatchPolicy;
import dev.recops.engine.RecopsException;
import dev.recops.engine.batch.Batcher;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.EmbeddingCache;
import dev.recops.engine.catalog.IndexChoice;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ManifestSignature;
import dev.recops.engine.model.ModelManifest;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.telemetry.ServerMetrics;

import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Makes a version ready to serve, holding no lock of the service: signature, encoder (through the
 * {@link Encoder.Factory}, the seam for fake encoders in tests), catalog index (embedded or from
 * the cache), batcher and circuit breaker. What it builds is published by {@link VersionRegistry};
 * a load may take minutes and never delays a promote or a rollback.
 */
final class VersionLoader {
    private final ServeOptions options;
    private final ServerMetrics metrics;
    private final ServeListener listener;
    private final Faults faults;
    private final Encoder.Factory encoders;
    private final BooleanSupplier closed;
    private volatile Optional<PublicKey> trustedKey = Optional.empty();
    private volatile IndexChoice indexChoice = IndexChoice.AUTO;
    /** Models being opened ahead of their load, by version id (see {@link #prefetch}). */
    private final Map<String, CompletableFuture<Encoder>> prefetched = new ConcurrentHashMap<>();

    VersionLoader(ServeOptions options, ServerMetrics metrics, ServeListener listener, Faults faults, Encoder.Factory encoders,
            BooleanSupplier closed) {
        this.options = options;
        this.metrics = metrics;
        this.listener = listener;
        this.faults = faults;
        this.encoders = encoders;
        this.closed = closed;
    }

    /** From now on, a version loads only with a manifest signature that this key verifies. */
    void trustedKey(PublicKey key) {
        this.trustedKey = Optional.of(key);
    }

    /**
     * @throws RecopsException when the version cannot serve (its signature, model, warm-up or
     *     catalog embeddings fail), or {@link RecopsException.Unavailable} when the service closed
     */
    ServedVersion load(ModelVersion version, Catalog catalog) {
        listener.versionLoading(version);
        long start = System.nanoTime();
        var ahead = prefetched.remove(version.id());
        Encoder encoder = ahead == null ? open(version) : join(ahead);
        try {
            CatalogIndex index = index(encoder, catalog);
            index.warm(64, TimeUnit.MILLISECONDS.toNanos(300));
            Batcher batcher = new Batcher(version.id(), batch -> faults.around(version.version(), () -> encoder.infer(batch)),
                    batchSettings(version), metrics.batchObserver(version.name(), version.version()));
            metrics.queue(version.name(), version.version(), batcher::queueDepth, batcher.settings().queueCapacity());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            metrics.modelLoaded(version.name(), version.version(), took.toNanos() / 1e9);
            listener.versionLoaded(version, took, index.fromCache());
            CircuitBreaker breaker = CircuitBreaker.standard();
            metrics.breaker(version.name(), version.version(), () -> breaker.state().ordinal());
            QueryCache queries = new QueryCache(options.queryCacheBytes(), metrics.queryCache(version.name(), version.version()));
            metrics.queryCacheEntries(version.name(), version.version(), queries::size);
            return new ServedVersion(version, encoder, batcher, breaker, index, queries);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /** The version's model, its manifest signature verified first when a key is trusted. */
    private Encoder open(ModelVersion version) {
        trustedKey.ifPresent(key -> ManifestSignature.verify(version.dir(), key));
        return encoders.open(version, options.intraOpThreads());
    }

    /**
     * Starts opening the version's model (checksums, session, warm-up) on another thread, for
     * {@link #load} to take: a start reads the catalog meanwhile instead of one after the other.
     */
    void prefetch(ModelVersion version) {
        prefetched.computeIfAbsent(version.id(), id -> CompletableFuture.supplyAsync(() -> open(version),
                task -> Thread.ofPlatform().name("recops-prefetch-" + id).start(task))); // native work: never a virtual thread
    }

    /**
     * Closes models opened ahead for a load that never came (the start failed, or the service
     * closed first), waiting for one still being opened: ONNX Runtime creating a session while
     * the JVM exits crashes the process (SIGSEGV) instead of letting it exit with its code.
     */
    void dropPrefetched() {
        for (var ahead : prefetched.values()) {
            try {
                ahead.join().close();
            } catch (CompletionException | CancellationException e) {
                // it failed to open: nothing to close
            }
        }
        prefetched.clear();
    }

    private static Encoder join(CompletableFuture<Encoder> ahead) {
        try {
            return ahead.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Whether a catalog of {@code size} products gets an HNSW index (with its own lexical index). */
    boolean hnswFor(int size) {
        return indexChoice.hnswFor(size);
    }

    /** Which vector index catalogs get from now on. */
    void indexChoice(IndexChoice choice) {
        this.indexChoice = choice;
    }

    /**
     * The catalog's vectors for this encoder (from the embedding cache, or embedded now, with
     * progress) and, when the index choice says so for its size, its HNSW index (opened when
     * persisted for this content, else built, with progress).
     */
    CatalogIndex index(Encoder encoder, Catalog catalog) {
        ModelVersion version = encoder.version();
        Optional<EmbeddingCache> cache = options.cacheDir().map(EmbeddingCache::new);
        CatalogIndex.Progress embedding = (done, total) -> {
            stopIfClosed(version);
            metrics.catalogBuild(version.name(), version.version(), "embedding", done, total);
            listener.embedding(version, done, total);
        };
        IndexChoice choice = indexChoice;
        if (!choice.hnswFor(catalog.size())) {
            return CatalogIndex.build(catalog, encoder, cache, embedding);
        }
        Path root = options.cacheDir().map(d -> d.resolveSibling("vector-index"))
                .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"), "recops-index-" + ProcessHandle.current().pid()));
        return CatalogIndex.hnsw(catalog, encoder, cache, root, choice.paramsFor(catalog.size()), embedding, new CatalogIndex.Progress() {
            @Override
            public void update(int done, int total) {
                stopIfClosed(version);
                metrics.catalogBuild(version.name(), version.version(), "indexing", done, total);
                listener.indexing(version, done, total);
            }

            @Override
            public void step(String what) {
                listener.indexingStep(version, what);
            }
        });
    }

    /** Stops work for a service nobody will use. */
    private void stopIfClosed(ModelVersion version) {
        if (closed.getAsBoolean()) {
            throw new RecopsException.Unavailable("closed", "the service closed while loading " + version.id());
        }
    }

    private BatchPolicy batchSettings(ModelVersion version) {
        ModelManifest.ServingHints hints = version.manifest().serving();
        return new BatchPolicy(
                options.batchMax().orElse(hints.batchMax()),
                options.batchDelay().orElse(Duration.ofMillis(hints.batchDelayMillis())),
                options.queueCapacity(),
                options.workers(),
                options.batchMaxTokens());
    }
}
