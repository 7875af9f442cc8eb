package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.Feature;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Query;
import picocli.CommandLine.Option;

import java.time.Duration;

/** The serving configuration predict-latency asks about; a setting not given takes the training data's most common value. */
final class ServingSettingsOptions {
    @Option(names = "--batch-max", paramLabel = "N", description = "Texts per model call at most.")
    Integer batchMax;

    @Option(names = "--batch-delay", paramLabel = "DURATION", converter = DurationConverter.class, description = "Longest wait for a batch to fill.")
    Duration batchDelay;

    @Option(names = "--workers", paramLabel = "N", description = "Concurrent model calls per replica.")
    Integer workers;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads per model call.")
    Integer threads;

    @Option(names = "--tokens", paramLabel = "N", description = "Mean tokens per query (default: the training data's mean; with --simulate, 8).")
    Double tokens;

    @Option(names = "--catalog-products", paramLabel = "N", description = "Products in the served catalog (default: the training data's "
            + "most common; the model uses it only when its data varied it).")
    Integer catalogProducts;

    @Option(names = "--index", paramLabel = "KIND", description = "exact or hnsw: how the catalog is searched (default: the training "
            + "data's most common; used only when the data varied it).")
    String index;

    @Option(names = "--server-cpus", paramLabel = "N", description = "CPUs the server may run on (default: the training data's most "
            + "common; used only when the data varied it).")
    Integer serverCpus;

    /** The query at the model's most common rate; the plan sets the rate. */
    Query query(LatencyModel model) {
        if (index != null && !index.equals("exact") && !index.equals("hnsw")) {
            throw AnalysisException.invalid("--index must be exact or hnsw, not " + index);
        }
        if (serverCpus != null && serverCpus < 1) {
            throw AnalysisException.invalid("--server-cpus must be at least 1");
        }
        if (catalogProducts != null && catalogProducts < 1) {
            throw AnalysisException.invalid("--catalog-products must be at least 1");
        }
        Query base = model.defaultQuery();
        Config config = base.config();
        if (batchMax != null) {
            config = config.with(Feature.BATCH_MAX, batchMax);
        }
        if (batchDelay != null) {
            config = config.with(Feature.BATCH_DELAY_MS, batchDelay.toNanos() / 1e6);
        }
        if (workers != null) {
            config = config.with(Feature.WORKERS, workers);
        }
        if (threads != null) {
            config = config.with(Feature.THREADS, threads);
        }
        if (catalogProducts != null) {
            config = config.with(Feature.CATALOG_PRODUCTS, catalogProducts);
        }
        if (index != null) {
            config = config.with(Feature.HNSW, index.equals("hnsw") ? 1 : 0);
        }
        if (serverCpus != null) {
            config = config.with(Feature.CPUS, serverCpus);
        }
        if (config.batchMax() < 1 || config.workers() < 1 || config.threads() < 1) {
            throw AnalysisException.invalid("--batch-max, --workers and --threads must be at least 1");
        }
        return new Query(config, base.rate(), tokens != null ? tokens : base.queryTokens());
    }
}
