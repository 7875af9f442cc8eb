package dev.recops.engine.serve;

import dev.recops.batching.BatchPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How to run {@code recops serve}.
 *
 * @param host the address to bind
 * @param port the port, 0 for any free port
 * @param modelRepo the model repository root
 * @param model the model to serve
 * @param primaryVersion the version answering requests that name none; empty for the highest
 * @param catalog the product catalog file (CSV or JSON Lines)
 * @param cacheDir where catalog embeddings are cached; empty to disable the cache
 * @param workers inference threads (concurrent model calls) per version, at least 1
 * @param intraOpThreads ONNX Runtime threads per model call, at least 1
 * @param batchMax texts per model call; empty for the model's serving hint
 * @param batchDelay longest wait for a batch to fill; empty for the model's serving hint
 * @param queueCapacity requests waiting per version before shedding
 * @param requestTimeout the deadline of a request that sets none
 * @param queryCacheBytes the query vectors each version keeps, in estimated bytes; 0 for none
 * @param batchMaxTokens padded tokens per model call at most; 0 for no budget
 */
public record ServeOptions(
        String host,
        int port,
        Path modelRepo,
        String model,
        String primaryVersion,
        Path catalog,
        Optional<Path> cacheDir,
        int workers,
        int intraOpThreads,
        OptionalInt batchMax,
        Optional<Duration> batchDelay,
        int queueCapacity,
        Duration requestTimeout,
        long queryCacheBytes,
        int batchMaxTokens) {

    /** The query cache's size unless told: about 38,000 queries of a 384-dimension model. */
    public static final long DEFAULT_QUERY_CACHE_BYTES = 64L << 20;

    /** Without a query cache (every query runs the model: what most tests measure), with serve's default token budget. */
    public ServeOptions(String host, int port, Path modelRepo, String model, String primaryVersion, Path catalog, Optional<Path> cacheDir,
                        int workers, int intraOpThreads, OptionalInt batchMax, Optional<Duration> batchDelay, int queueCapacity,
                        Duration requestTimeout) {
        this(host, port, modelRepo, model, primaryVersion, catalog, cacheDir, workers, intraOpThreads, batchMax, batchDelay, queueCapacity,
                requestTimeout, 0, BatchPolicy.DEFAULT_MAX_TOKENS);
    }

    public ServeOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelRepo, "modelRepo");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(primaryVersion, "primaryVersion");
        Objects.requireNonNull(catalog, "catalog");
        Objects.requireNonNull(cacheDir, "cacheDir");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be in 0..65535, not " + port);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, not " + workers);
        }
        Objects.requireNonNull(batchMax, "batchMax");
        Objects.requireNonNull(batchDelay, "batchDelay");
        if (batchMax.isPresent() && (batchMax.getAsInt() < 1 || batchMax.getAsInt() > 1024)) {
            throw new IllegalArgumentException("batch size must be in 1..1024, not " + batchMax.getAsInt());
        }
        if (batchDelay.isPresent() && batchDelay.get().compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("batch delay must be at most 1s, not " + batchDelay.get().toMillis() + "ms");
        }
        if (workers > 256) {
            throw new IllegalArgumentException("workers must be at most 256, not " + workers);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1, not " + queueCapacity);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, not " + requestTimeout);
        }
        if (batchMaxTokens < 0 || batchMaxTokens > 1_000_000) {
            throw new IllegalArgumentException("token budget must be in 0..1000000, not " + batchMaxTokens);
        }
        if (queryCacheBytes < 0) {
            throw new IllegalArgumentException("query cache size must not be negative, not " + queryCacheBytes);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + intraOpThreads);
        }
    }
}
