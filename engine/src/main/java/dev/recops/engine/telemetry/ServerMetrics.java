package dev.recops.engine.telemetry;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The server's metrics, registered in their own registry (so tests and several servers in one
 * JVM do not collide). Durations are recorded in seconds into buckets sized around typical
 * search SLOs (1 ms to 10 s), and as native histograms for Prometheus 3.
 *
 * <p>Thread-safe.
 */
public final class ServerMetrics {
    /** Classic bucket bounds in seconds: dense between 1 ms and 250 ms, where search SLOs sit. */
    static final double[] LATENCY_BUCKETS = {
        0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Counter requests;
    private final Histogram requestDuration;
    private final Gauge modelLoaded;
    private final Gauge catalogProducts;
    private final Histogram modelLoadDuration;

    public ServerMetrics() {
        requests = Counter.builder()
                .name("recops_requests_total")
                .help("Requests answered, by endpoint, model, version and HTTP status code.")
                .labelNames("endpoint", "model", "version", "code")
                .register(registry);
        requestDuration = Histogram.builder()
                .name("recops_request_duration_seconds")
                .help("Time from receiving a request to sending its response.")
                .unit(Unit.SECONDS)
                .labelNames("endpoint", "model", "version")
                .classicUpperBounds(LATENCY_BUCKETS)
                .register(registry);
        modelLoaded = Gauge.builder()
                .name("recops_model_loaded")
                .help("1 for each model version loaded and able to serve.")
                .labelNames("model", "version")
                .register(registry);
        modelLoadDuration = Histogram.builder()
                .name("recops_model_load_duration_seconds")
                .help("Time to load a model version: verify, load, warm up, embed or read the catalog.")
                .unit(Unit.SECONDS)
                .labelNames("model", "version")
                .classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
                .register(registry);
        catalogProducts = Gauge.builder()
                .name("recops_catalog_products")
                .help("Products in the served catalog.")
                .register(registry);
        JvmMetrics.builder().register(registry);
    }

    /**
     * Records one answered request.
     *
     * @param model the model name, or {@code ""} when the request never reached one
     * @param seconds time from receipt to response
     */
    public void recordRequest(String endpoint, String model, String version, int status, double seconds) {
        requests.labelValues(endpoint, model, version, Integer.toString(status)).inc();
        requestDuration.labelValues(endpoint, model, version).observe(seconds);
    }

    public void modelLoaded(String model, String version, double loadSeconds) {
        modelLoaded.labelValues(model, version).set(1);
        modelLoadDuration.labelValues(model, version).observe(loadSeconds);
    }

    public void catalogSize(int products) {
        catalogProducts.set(products);
    }

    /** The content type that {@link #write} produces for this {@code Accept} header. */
    public String contentType(String acceptHeader) {
        return formats.findWriter(acceptHeader).getContentType();
    }

    /** Writes every metric in the format the {@code Accept} header asks for (text by default). */
    public void write(String acceptHeader, OutputStream out) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(acceptHeader);
        writer.write(out, registry.scrape());
    }
}
