package dev.recops.analysis.latency;

import java.util.List;

/** The inputs every latency model sees, named as in {@code runs.csv}. */
public enum Feature {
    RATE("rate", "requests per second offered to one replica"),
    BATCH_MAX("batch_max", "texts per model call at most"),
    BATCH_DELAY_MS("batch_delay_ms", "longest wait for a batch to fill"),
    WORKERS("workers", "concurrent model calls"),
    THREADS("threads", "ONNX Runtime threads per call"),
    QUERY_TOKENS("query_tokens", "mean tokens per query"),
    CATALOG_PRODUCTS("catalog_products", "products in the served catalog"),
    HNSW("hnsw", "1 when the catalog is searched through an HNSW index, 0 when exactly"),
    CPUS("server_cpus", "CPUs the server could run on");

    public final String column;
    public final String meaning;

    Feature(String column, String meaning) {
        this.column = column;
        this.meaning = meaning;
    }

    /** The features that describe a configuration alone (what max throughput depends on). */
    static final List<Feature> CONFIGURATION = List.of(BATCH_MAX, BATCH_DELAY_MS, WORKERS, THREADS, QUERY_TOKENS,
            CATALOG_PRODUCTS, HNSW, CPUS);
}
