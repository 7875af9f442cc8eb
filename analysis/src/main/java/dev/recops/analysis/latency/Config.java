package dev.recops.analysis.latency;

import java.io.Serializable;
import java.util.Locale;

/**
 * How one replica serves: the settings a latency model generalises over. Rows measured under the
 * same configuration form one group in cross-validation, so a configuration is never both
 * learned and judged.
 *
 * @param model the model served ("" when the data does not say)
 * @param version the primary version served ("" when the data does not say)
 * @param batchDelayMillis longest wait for a batch to fill
 * @param workers concurrent model calls
 * @param threads ONNX Runtime threads per model call
 * @param catalogProducts products in the served catalog; 0 when the data does not say
 * @param index how the catalog is searched: {@code exact}, {@code hnsw}, or "" when the data does not say
 * @param cpus CPUs the server could run on (its JVM's available processors, which follow
 *     {@code taskset} and container limits); 0 when the data does not say
 */
public record Config(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads, int catalogProducts,
                     String index, int cpus) implements Serializable {

    public Config {
        index = index == null ? "" : index; // a model saved before the catalog features were recorded
    }

    /** A configuration whose catalog is not known. */
    public Config(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads) {
        this(model, version, batchMax, batchDelayMillis, workers, threads, 0, "");
    }

    /** A configuration whose CPU count is not known. */
    public Config(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads, int catalogProducts,
                  String index) {
        this(model, version, batchMax, batchDelayMillis, workers, threads, catalogProducts, index, 0);
    }

    /** The value of a configuration feature; NaN for a catalog feature the data does not tell. */
    double feature(Feature f) {
        return switch (f) {
            case BATCH_MAX -> batchMax;
            case BATCH_DELAY_MS -> batchDelayMillis;
            case WORKERS -> workers;
            case THREADS -> threads;
            case CATALOG_PRODUCTS -> catalogProducts > 0 ? catalogProducts : Double.NaN;
            case HNSW -> index.equals("hnsw") ? 1 : index.equals("exact") ? 0 : Double.NaN;
            case CPUS -> cpus > 0 ? cpus : Double.NaN;
            case RATE, QUERY_TOKENS -> throw new IllegalArgumentException(f + " is not a configuration feature");
        };
    }

    /** A copy with one configuration feature replaced; NaN for a catalog feature means not recorded. */
    public Config with(Feature f, double v) {
        return switch (f) {
            case BATCH_MAX -> new Config(model, version, (int) v, batchDelayMillis, workers, threads, catalogProducts, index, cpus);
            case BATCH_DELAY_MS -> new Config(model, version, batchMax, v, workers, threads, catalogProducts, index, cpus);
            case WORKERS -> new Config(model, version, batchMax, batchDelayMillis, (int) v, threads, catalogProducts, index, cpus);
            case THREADS -> new Config(model, version, batchMax, batchDelayMillis, workers, (int) v, catalogProducts, index, cpus);
            case CATALOG_PRODUCTS -> new Config(model, version, batchMax, batchDelayMillis, workers, threads, Double.isNaN(v) ? 0 : (int) v, index, cpus);
            case HNSW -> new Config(model, version, batchMax, batchDelayMillis, workers, threads, catalogProducts,
                    Double.isNaN(v) ? "" : v >= 0.5 ? "hnsw" : "exact", cpus);
            case CPUS -> new Config(model, version, batchMax, batchDelayMillis, workers, threads, catalogProducts, index, Double.isNaN(v) ? 0 : (int) v);
            case RATE, QUERY_TOKENS -> throw new IllegalArgumentException(f + " is not a configuration feature");
        };
    }

    public String describe() {
        return String.format(Locale.ROOT, "batch-max %d, batch-delay %sms, workers %d, threads %d", batchMax, Num.format(batchDelayMillis),
                workers, threads)
                + (catalogProducts > 0 ? String.format(Locale.ROOT, ", %d products", catalogProducts) : "")
                + (index.isEmpty() ? "" : ", " + index + " index")
                + (cpus > 0 ? ", " + cpus + (cpus == 1 ? " CPU" : " CPUs") : "");
    }
}
