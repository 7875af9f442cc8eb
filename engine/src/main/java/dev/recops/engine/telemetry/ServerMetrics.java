package dev.recops.engine.telemetry;

import dev.recops.engine.batch.Batcher;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

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
    private final Counter catalogUpdates;
    private final Gauge embeddingBacklog;
    private final Gauge buildDone;
    private final Gauge buildTotal;
    private final AtomicLong backlog = new AtomicLong();
    private final Histogram modelLoadDuration;
    private final Histogram queueDuration;
    private final Histogram inferenceDuration;
    private final Histogram batchSize;
    private final Histogram batchPaddedTokens;
    private final Histogram queryTokens;
    private final Counter shed;
    private final Counter deadlineExceeded;
    private final Counter invalidInputs;
    private final Gauge inFlight;
    private final Counter accessLogDropped;
    private final Counter stateSaveFailures;
    private final Counter adminRequests;
    private final Counter degraded;
    private final Counter rateLimited;
    private final Counter canaryDecisions;
    private final Counter shadowRequests;
    private final Histogram shadowDuration;
    private final Histogram shadowOverlap;
    private final Map<List<String>, IntSupplier> breakers = new ConcurrentHashMap<>();
    private volatile Supplier<Map<String, List<String>>> faults = Map::of;
    private final Gauge queueCapacity;
    private volatile BooleanSupplier readiness = () -> false;
    private final GaugeWithCallback queueDepth;
    private final Map<List<String>, IntSupplier> queueDepths = new ConcurrentHashMap<>();
    private final Map<List<String>, LongSupplier> queryCacheEntries = new ConcurrentHashMap<>();
    private final Counter queryCacheLookups;
    private final Counter queryCacheEvictions;

    public ServerMetrics() {
        requests = counter("recops_requests_total",
                "Requests answered, by endpoint, model, version and HTTP status code.",
                "endpoint", "model", "version", "code");
        requestDuration = seconds("recops_request_duration_seconds",
                "Time from receiving a request to sending its response.",
                LATENCY_BUCKETS, "endpoint", "model", "version");
        modelLoaded = gauge("recops_model_loaded", "1 for each model version loaded and able to serve.", "model", "version");
        modelLoadDuration = seconds("recops_model_load_duration_seconds",
                "Time to load a model version: verify, load, warm up, embed or read the catalog.",
                new double[] {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}, "model", "version");
        catalogProducts = gauge("recops_catalog_products", "Products in the served catalog.");
        catalogUpdates = counter("recops_catalog_updates",
                "Products changed by live catalog updates, by operation (upsert, delete, patch).",
                "op");
        embeddingBacklog = gauge("recops_catalog_embedding_backlog",
                "Product texts of live updates waiting to be embedded, over every loaded version.");
        buildDone = gauge("recops_catalog_build_done", "Products a version's catalog build has done, by phase (embedding, indexing); with "
                + "recops_catalog_build_size, its progress while loading.", "model", "version", "phase");
        buildTotal = gauge("recops_catalog_build_size",
                "Products a version's catalog build phase has to do (embedding: those not in the embedding cache).",
                "model", "version", "phase");
        queueDuration = seconds("recops_queue_duration_seconds",
                "Time a request waited in its model version's queue before inference.",
                LATENCY_BUCKETS, "model", "version");
        inferenceDuration = seconds("recops_inference_duration_seconds",
                "Time of one model call (one batch).",
                LATENCY_BUCKETS, "model", "version");
        batchSize = histogram("recops_batch_size", "Texts per model call.", new double[] {1, 2, 4, 8, 16, 32, 64, 128}, "model", "version");
        batchPaddedTokens = classic("recops_batch_padded_tokens",
                "Token positions per model call, padding included (batch size x longest text).",
                new double[] {8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}, "model", "version");
        queryTokens = classic("recops_query_tokens",
                "Tokens per query text after truncation, special tokens included.",
                new double[] {4, 8, 16, 32, 64, 128, 256, 512}, "model", "version");
        shed = counter("recops_shed_total",
                "Requests refused with 503, by reason: queue_full, deadline (admission), not_ready (still loading).",
                "model", "version", "reason");
        deadlineExceeded = counter("recops_deadline_exceeded_total",
                "Requests answered 504, by where the deadline passed (queue: never computed; wait: discarded).",
                "model", "version", "stage");
        invalidInputs = counter("recops_invalid_requests_total",
                "Requests refused as invalid (4xx), by endpoint and error code.",
                "endpoint", "code");
        inFlight = gauge("recops_in_flight_requests", "Requests being handled right now.");
        accessLogDropped = counter("recops_access_log_dropped_total",
                "Access log lines dropped: the writer could not keep up, or could not write.");
        stateSaveFailures = counter("recops_serving_state_save_failures_total",
                "Changes of the primary, rollback target or traffic policy the server could not save for its next start.");
        queueCapacity = gauge("recops_queue_capacity", "Requests a model version's queue holds before shedding.", "model", "version");
        GaugeWithCallback.builder()
                .name("recops_ready")
                .help("1 when this replica is ready to serve (a version loaded, not draining), else 0.")
                .callback(cb -> cb.call(readiness.getAsBoolean() ? 1 : 0))
                .register(registry);
        queueDepth = GaugeWithCallback.builder()
                .name("recops_queue_depth")
                .help("Requests waiting in a model version's queue.")
                .labelNames("model", "version")
                .callback(cb -> queueDepths.forEach((labels, depth) -> cb.call(depth.getAsInt(), labels.get(0), labels.get(1))))
                .register(registry);
        degraded = counter("recops_degraded_total",
                "Requests answered by the degraded path (BM25 over titles) instead of the model, by reason.",
                "endpoint", "reason");
        for (String reason : List.of("timeout", "model_error", "breaker_open")) {
            degraded.labelValues("search", reason);
        }
        GaugeWithCallback.builder()
                .name("recops_breaker_state")
                .help("Circuit breaker of a model version: 0 closed, 1 half-open (probing), 2 open (degraded).")
                .labelNames("model", "version")
                .callback(cb -> breakers.forEach((labels, state) -> cb.call(state.getAsInt(), labels.get(0), labels.get(1))))
                .register(registry);
        canaryDecisions = counter("recops_canary_decisions_total",
                "Automatic canary analysis verdicts per window: rollback, pass, insufficient (too few requests).",
                "version", "decision");
        rateLimited = counter("recops_rate_limited_total",
                "Queries refused with 429 because their client exceeded the per-client rate limit.",
                "endpoint");
        shadowRequests = counter("recops_shadow_requests_total",
                "Copies of searches sent to the shadow version, by outcome (ok, shed, timeout, error); answers discarded.",
                "version", "outcome");
        shadowDuration = seconds("recops_shadow_duration_seconds",
                "Time the shadow version took to answer a copied search.",
                LATENCY_BUCKETS, "version");
        shadowOverlap = classic("recops_shadow_overlap_ratio",
                "Share of the answered top-k that the shadow version also returned (1 = same products).",
                new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1}, "version");
        adminRequests = counter("recops_admin_requests_total",
                "Admin API calls by action and outcome (ok, denied, rejected, failed).",
                "action", "outcome");
        GaugeWithCallback.builder()
                .name("recops_fault_active")
                .help("1 for each fault injected into a model version and in force (drills).")
                .labelNames("version", "kind")
                .callback(cb -> faults.get().forEach((version, kinds) -> kinds.forEach(k -> cb.call(1, version, k))))
                .register(registry);
        queryCacheLookups = counter("recops_query_cache_requests_total",
                "Query vector cache lookups per model version, by result: hit (the queue and the model skipped) or miss.",
                "model", "version", "result");
        queryCacheEvictions = counter("recops_query_cache_evictions_total",
                "Query vectors evicted from a version's cache to stay within --query-cache.",
                "model", "version");
        GaugeWithCallback.builder()
                .name("recops_query_cache_entries")
                .help("Query vectors held in a model version's cache.")
                .labelNames("model", "version")
                .callback(cb -> queryCacheEntries.forEach((labels, n) -> cb.call(n.getAsLong(), labels.get(0), labels.get(1))))
                .register(registry);
        JvmMetrics.builder().register(registry);
    }

    private Counter counter(String name, String help, String... labels) {
        return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
    }

    private Gauge gauge(String name, String help, String... labels) {
        return Gauge.builder().name(name).help(help).labelNames(labels).register(registry);
    }

    /** A duration in seconds: classic buckets and a native histogram. */
    private Histogram seconds(String name, String help, double[] bounds, String... labels) {
        return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).labelNames(labels).classicUpperBounds(bounds).register(registry);
    }

    /** A count per event (texts, tokens), classic buckets and a native histogram. */
    private Histogram histogram(String name, String help, double[] bounds, String... labels) {
        return Histogram.builder().name(name).help(help).labelNames(labels).classicUpperBounds(bounds).register(registry);
    }

    /** Classic buckets only. */
    private Histogram classic(String name, String help, double[] bounds, String... labels) {
        return Histogram.builder().name(name).help(help).labelNames(labels).classicUpperBounds(bounds).classicOnly().register(registry);
    }

    /** Where a version's {@code recops_query_cache_entries} comes from, read at scrape time. */
    public void queryCacheEntries(String model, String version, LongSupplier entries) {
        queryCacheEntries.put(List.of(model, version), entries);
    }

    /** Hooks that count a version's query cache lookups and evictions. */
    public QueryCacheObserver queryCache(String model, String version) {
        var hits = queryCacheLookups.labelValues(model, version, "hit");
        var misses = queryCacheLookups.labelValues(model, version, "miss");
        var evictions = queryCacheEvictions.labelValues(model, version);
        return new QueryCacheObserver() {
            @Override
            public void lookup(boolean hit) {
                (hit ? hits : misses).inc();
            }

            @Override
            public void evicted() {
                evictions.inc();
            }
        };
    }

    /** Counts one query cache's lookups and evictions. */
    public interface QueryCacheObserver {
        void lookup(boolean hit);

        void evicted();
    }

    /** One shadow copy: its outcome and, when it answered, its latency and top-k overlap. */
    public void shadow(String version, String outcome, double seconds, double overlap) {
        shadowRequests.labelValues(version, outcome).inc();
        if (outcome.equals("ok")) {
            shadowDuration.labelValues(version).observe(seconds);
            shadowOverlap.labelValues(version).observe(overlap);
        }
    }

    /** One verdict of the automatic canary analysis. */
    public void canaryDecision(String version, String decision) {
        canaryDecisions.labelValues(version, decision).inc();
    }

    /** One query refused by the per-client rate limit. */
    public void rateLimited(String endpoint) {
        rateLimited.labelValues(endpoint).inc();
    }

    /** One request answered without the model. */
    public void degraded(String endpoint, String reason) {
        degraded.labelValues(endpoint, reason).inc();
    }

    /** Where a version's {@code recops_breaker_state} comes from, read at scrape time. */
    public void breaker(String model, String version, IntSupplier state) {
        breakers.put(List.of(model, version), state);
    }

    /** One admin API call. */
    public void adminCall(String action, String outcome) {
        adminRequests.labelValues(action, outcome).inc();
    }

    /** Where {@code recops_fault_active} comes from, read at scrape time: the kinds in force per version. */
    public void faults(Supplier<Map<String, List<String>>> active) {
        this.faults = Objects.requireNonNull(active, "active");
    }

    /** Records what a version's batcher does. */
    public Batcher.Observer batchObserver(String model, String version) {
        // Zero-valued series from the start: rate() and alerts see 0, not an absent series.
        for (String reason : List.of("queue_full", "deadline")) {
            shed.labelValues(model, version, reason);
        }
        for (String stage : List.of("queue", "wait")) {
            deadlineExceeded.labelValues(model, version, stage);
        }
        return new Batcher.Observer() {
            @Override
            public void shed(String reason) {
                shed.labelValues(model, version, reason).inc();
            }

            @Override
            public void expired() {
                deadlineExceeded.labelValues(model, version, "queue").inc();
            }

            @Override
            public void batch(int size, int paddedTokens, long inferenceNanos) {
                batchSize.labelValues(model, version).observe(size);
                batchPaddedTokens.labelValues(model, version).observe(paddedTokens);
                inferenceDuration.labelValues(model, version).observe(inferenceNanos / 1e9);
            }

            @Override
            public void dequeued(long queueNanos) {
                queueDuration.labelValues(model, version).observe(queueNanos / 1e9);
            }
        };
    }

    /** Exposes a version's queue depth (read at scrape time) and capacity. */
    public void queue(String model, String version, IntSupplier depth, int capacity) {
        queueDepths.put(List.of(model, version), depth);
        queueCapacity.labelValues(model, version).set(capacity);
    }

    /** Where {@code recops_ready} comes from, read at scrape time. */
    public void readiness(BooleanSupplier ready) {
        this.readiness = Objects.requireNonNull(ready, "ready");
    }

    public void queryTokens(String model, String version, int tokens) {
        queryTokens.labelValues(model, version).observe(tokens);
    }

    /** A request waited past its deadline for an answer that was then discarded. */
    public void deadlineWhileWaiting(String model, String version) {
        deadlineExceeded.labelValues(model, version, "wait").inc();
    }

    /** A request refused before reaching a model version (the service is still loading). */
    public void shedBeforeModel(String reason) {
        shed.labelValues("", "", reason).inc();
    }

    public void invalidRequest(String endpoint, String code) {
        invalidInputs.labelValues(endpoint, code).inc();
    }

    public void accessLogDropped() {
        accessLogDropped.inc();
    }

    public void stateSaveFailed() {
        stateSaveFailures.inc();
    }

    public void requestStarted() {
        inFlight.inc();
    }

    public void requestFinished() {
        inFlight.dec();
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

    /** A version stopped serving: its series go. */
    public void modelUnloaded(String model, String version) {
        modelLoaded.remove(model, version);
        queueDepths.remove(List.of(model, version));
        queueCapacity.remove(model, version);
        breakers.remove(List.of(model, version));
        queryCacheEntries.remove(List.of(model, version));
        for (String phase : List.of("embedding", "indexing")) {
            buildDone.remove(model, version, phase);
            buildTotal.remove(model, version, phase);
        }
    }

    public void catalogSize(int products) {
        catalogProducts.set(products);
    }

    /** Products a live update changed. */
    public void catalogUpdated(String op, int products) {
        catalogUpdates.labelValues(op).inc(products);
    }

    /** Progress of a version's catalog build phase ({@code embedding} or {@code indexing}). */
    public void catalogBuild(String model, String version, String phase, int done, int total) {
        buildDone.labelValues(model, version, phase).set(done);
        buildTotal.labelValues(model, version, phase).set(total);
    }

    /** Texts added to ({@code delta > 0}) or embedded from ({@code delta < 0}) the update backlog. */
    public void embeddingBacklog(long delta) {
        embeddingBacklog.set(backlog.addAndGet(delta));
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
