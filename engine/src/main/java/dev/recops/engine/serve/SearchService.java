package dev.recops.engine.serve;

import dev.recops.batching.BatchPolicy;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.HnswIndex;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.telemetry.ServerMetrics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * One model served: its versions' lifecycle (load, promote, roll back, unload, traffic, state),
 * its catalog ({@link LiveCatalog}) and the queries' entry points, which {@link Answers} answers.
 * No HTTP: the server, the load generator's in-process mode and tests call it directly. What
 * serves lives in a {@link VersionRegistry}; {@link VersionLoader} builds versions outside any
 * lock; {@link Router} chooses and leases the version of each request.
 *
 * <p>Lifecycle: construct, {@link #load()} (blocking; {@link #ready()} turns true when at least
 * the primary version serves), query from any thread, {@link #close()}. {@code close()} may be
 * called while {@code load()} runs on another thread: versions that finish loading afterwards
 * are freed, not published.
 */
public final class SearchService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SearchService.class.getName());
    /** Longest a request may hold a version: the longest deadline a client may ask for, and a second. */
    private static final Duration LONGEST_LEASE = Duration.ofMillis(ServeServer.MAX_TIMEOUT_MS).plusSeconds(1);

    /** How the primary version is served: the settings a latency measurement depends on. */
    public record Serving(String model, String primaryVersion, List<String> versions, int batchMax, Duration batchDelay,
                          int workers, int threads, int queueCapacity, int catalogProducts, VectorIndex index, int batchMaxTokens,
                          long queryCacheBytes) {}

    /**
     * The primary version's vector index.
     *
     * @param kind {@code exact} or {@code hnsw}
     * @param hnsw its parameters, for {@code hnsw}
     * @param bytesOnDisk its files' size, 0 for {@code exact}
     * @param sharedReadOnly whether it is another replica's index on this host, opened read-only
     */
    public record VectorIndex(String kind, Optional<HnswIndex.Params> hnsw, long bytesOnDisk, boolean sharedReadOnly) {}

    private final ServeOptions options;
    private final ServerMetrics metrics;
    private final ServeListener listener;
    private final Faults faults = new Faults();
    private final VersionRegistry registry;
    private final VersionLoader loader;
    private final Router router;
    /** Versions being loaded now, so that one version is never loaded twice at once. */
    private final Set<String> loading = ConcurrentHashMap.newKeySet();
    private final LiveCatalog catalog;
    private final Answers answers;
    private volatile Thread analysis;
    private volatile boolean closed;

    /** How long an unload waits for the requests holding the version before it answers (and frees it later). */
    static final Duration UNLOAD_WAIT = Duration.ofSeconds(10);

    public SearchService(ServeOptions options, ServerMetrics metrics, ServeListener listener) {
        this(options, ServiceSetup.DEFAULT, metrics, listener, Encoder.ONNX);
    }

    public SearchService(ServeOptions options, ServiceSetup setup, ServerMetrics metrics, ServeListener listener) {
        this(options, setup, metrics, listener, Encoder.ONNX);
    }

    /** As {@link #SearchService(ServeOptions, ServiceSetup, ServerMetrics, ServeListener)} with another way to open encoders (tests: fakes). */
    public SearchService(ServeOptions options, ServiceSetup setup, ServerMetrics metrics, ServeListener listener, Encoder.Factory encoders) {
        this.options = Objects.requireNonNull(options, "options");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.registry = new VersionRegistry(options.model());
        registry.onSaveFailure(metrics::stateSaveFailed);
        this.loader = new VersionLoader(options, metrics, listener, faults, encoders, () -> closed);
        this.router = new Router(registry, options.model());
        this.catalog = new LiveCatalog(options, registry, loader, listener, metrics, () -> closed);
        this.answers = new Answers(options, metrics, registry, router);
        setup.stateFile().ifPresent(registry::stateFile);
        answers.defaultMode(setup.searchMode());
        loader.indexChoice(setup.indexChoice());
        setup.trustedKey().ifPresent(loader::trustedKey);
        setup.journal().ifPresent(catalog::journal);
        metrics.faults(() -> faults.active().stream().collect(Collectors.toMap(Faults.Fault::version, Faults.Fault::kinds)));
    }

    /**
     * Loads the catalog and every valid version of the model, the primary first: {@link #ready()}
     * turns true as soon as the primary serves, while the other versions are still loading. A
     * version that fails to load is reported to the listener and skipped; it is an error only if
     * no version, or not the requested primary, can serve.
     *
     * @throws RecopsException when nothing can serve, with the reason of the first failure
     */
    public void load() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        ModelRepository.Scan scan = new ModelRepository(options.modelRepo()).scan();
        scan.rejected().forEach(listener::versionRejected);
        List<ModelVersion> candidates = scan.versionsOf(options.model());
        if (candidates.isEmpty()) {
            throw new RecopsException.PreconditionFailed("model_missing",
                    "model repository " + options.modelRepo() + " has no valid version of " + options.model()
                            + (scan.rejected().isEmpty() ? "" : " (rejected: " + scan.rejected().getFirst().reason() + ")"));
        }
        if (!options.primaryVersion().isEmpty()
                && candidates.stream().noneMatch(v -> v.version().equals(options.primaryVersion()))) {
            throw new RecopsException.PreconditionFailed("version_missing",
                    "model " + options.model() + " has no version " + options.primaryVersion() + " in " + options.modelRepo());
        }
        ServingState saved = registry.stateFile().flatMap(ServingState::read).filter(st -> st.model().equals(options.model()))
                .orElse(ServingState.NONE);
        String wantedPrimary = !options.primaryVersion().isEmpty() ? options.primaryVersion()
                : candidates.stream().anyMatch(v -> v.version().equals(saved.primary())) ? saved.primary() : "";
        // The primary first, so the service turns ready as soon as it can answer; the other
        // versions follow and join as each finishes. An implicit primary that fails to load
        // hands over to the next highest version.
        List<ModelVersion> order = new ArrayList<>(candidates.reversed());
        if (!wantedPrimary.isEmpty()) {
            order.sort(Comparator.comparing(v -> !v.version().equals(wantedPrimary)));
        }
        loader.prefetch(order.getFirst()); // its model opens while the catalog is read
        try {
            catalog.initial();
        } catch (RuntimeException e) {
            loader.dropPrefetched(); // a bad catalog ends the start: not before the model being opened is
            throw e;
        }

        RecopsException firstFailure = null;
        for (ModelVersion version : order) {
            if (closed) {
                return;
            }
            try {
                loadAndPublish(version);
            } catch (RecopsException e) {
                if (closed) {
                    return;
                }
                listener.versionFailed(version, e.getMessage());
                if (version.version().equals(options.primaryVersion())) {
                    throw e;
                }
                firstFailure = firstFailure == null ? e : firstFailure;
            }
        }
        if (registry.current().primary().isEmpty()) {
            throw firstFailure;
        }
        registry.restore(saved);
        catalog.initialLoadDone();
    }

    /**
     * Starts automatic canary analysis (see {@link CanaryAnalysis}); it stops when the returned
     * action runs or the service closes.
     */
    public Runnable analyseCanaries(CanaryAnalysis settings) {
        Thread t = router.analyse(settings, metrics);
        analysis = t;
        return t::interrupt;
    }

    /** The automatic canary analysis's latest decision, if it runs and made one. */
    public Optional<CanaryAnalysis.Verdict> lastCanaryVerdict() {
        return router.lastVerdict();
    }

    /** The traffic policy in force. */
    public TrafficPolicy traffic() {
        return registry.current().policy();
    }

    /**
     * Sets the canary split and the shadow version; both must be loaded, and the canary must not
     * be the primary. Saved with the serving state.
     */
    public void traffic(TrafficPolicy next) {
        registry.traffic(next);
    }

    /**
     * Loads a version outside any lock and publishes it; if the catalog was reloaded meanwhile,
     * its index is rebuilt for the catalog now served first.
     *
     * @throws RecopsException.Conflict when the version is loading already
     */
    private void loadAndPublish(ModelVersion version) {
        if (!loading.add(version.version())) {
            throw new RecopsException.Conflict("version_loading", options.model() + " version " + version.version() + " is loading already");
        }
        try {
            Catalog builtFor = registry.current().catalog().catalog();
            ServedVersion v = loader.load(version, builtFor);
            while (!registry.publish(v, builtFor)) {
                if (closed) {
                    v.retire(Duration.ZERO);
                    throw new RecopsException.Unavailable("shutting_down", "the service is closing");
                }
                builtFor = registry.current().catalog().catalog();
                CatalogIndex stale = v.index(); // built for a catalog no longer served, and never published
                v = v.withIndex(loader.index(v.encoder(), builtFor));
                stale.close();
            }
        } finally {
            loading.remove(version.version());
        }
    }

    /**
     * Refuses a request at once when the primary version would shed it, before any work is spent
     * on it. Versions share the machine's cores, so a full primary queue means a saturated replica.
     */
    public void admitEarly(long deadlineNanos) {
        VersionRegistry.State s = registry.current();
        ServedVersion v = s.versions().get(s.primary());
        if (v != null) {
            v.batcher().admit(deadlineNanos);
        }
    }

    /** The deadline of a request that sets none, from now. */
    public long defaultDeadlineNanos() {
        return System.nanoTime() + options.requestTimeout().toNanos();
    }

    /** True once a primary version can answer queries. */
    public boolean ready() {
        return !registry.current().primary().isEmpty();
    }

    public String modelName() {
        return options.model();
    }

    /** The version answering queries that name none, or empty before {@link #load()}. */
    public String primaryVersion() {
        return registry.current().primary();
    }

    /** Loaded versions, oldest first. */
    public List<String> versions() {
        return registry.current().names();
    }

    /** The vector size of a loaded version (empty for the primary), if that version is loaded. */
    public OptionalInt dimensionOf(String version) {
        VersionRegistry.State s = registry.current();
        ServedVersion v = s.versions().get(version.isEmpty() ? s.primary() : version);
        return v == null ? OptionalInt.empty() : OptionalInt.of(v.encoder().dimension());
    }

    /** How the primary version is served; empty before {@link #load()}. */
    public Optional<Serving> serving() {
        VersionRegistry.State s = registry.current();
        ServedVersion v = s.versions().get(s.primary());
        if (v == null) {
            return Optional.empty();
        }
        BatchPolicy b = v.batcher().settings();
        var hnsw = v.index().hnsw();
        VectorIndex index = new VectorIndex(hnsw.isPresent() ? "hnsw" : "exact", hnsw.map(HnswIndex::params),
                hnsw.map(HnswIndex::sizeOnDisk).orElse(0L), hnsw.map(HnswIndex::readOnly).orElse(false));
        return Optional.of(new Serving(options.model(), s.primary(), s.names(), b.maxBatch(), b.maxDelay(), b.workers(),
                options.intraOpThreads(), b.queueCapacity(), v.index().size(), index, b.maxTokens(), options.queryCacheBytes()));
    }

    /**
     * A query that fits the catalog served, for the start-up hint: the first words of the first
     * product's title (letters, digits and spaces only, so it needs no quoting in a shell).
     */
    public String exampleQuery() {
        VersionRegistry.CatalogState c = registry.current().catalog();
        if (c == null || c.catalog().products().isEmpty()) {
            return "chair";
        }
        String words = String.join(" ", Arrays.stream(c.catalog().products().getFirst().title()
                .replaceAll("[^\\p{L}\\p{N} ]", " ").strip().split("\\s+")).limit(4).toList());
        return words.isBlank() ? "chair" : words;
    }

    /** Products in the served catalog; 0 before {@link #load()}. */
    public int catalogSize() {
        VersionRegistry.CatalogState c = registry.current().catalog();
        return c == null ? 0 : c.catalog().size();
    }

    /** {@link #search(Queries.Search, long, BooleanSupplier)} for a caller that never goes away. */
    public Queries.Ranked search(Queries.Search q, long deadlineNanos) {
        return answers.search(q, deadlineNanos, Answers.STAYS);
    }

    /**
     * @param deadlineNanos {@link System#nanoTime()} after which the answer is useless
     * @param callerGone asked while the request waits for the model (first after
     *     {@link Waits#CALLER_CHECK_NANOS}, then at that interval); true withdraws the request
     * @throws RecopsException.Unavailable when shed; {@link RecopsException.DeadlineExceeded} when
     *     late; {@link RecopsException.Cancelled} when the caller went away
     */
    public Queries.Ranked search(Queries.Search q, long deadlineNanos, BooleanSupplier callerGone) {
        return answers.search(q, deadlineNanos, callerGone);
    }

    /** Products like the shopper's recent ones (the mean of their vectors), those excluded. */
    public Queries.Ranked recommend(Queries.Recommend q) {
        return answers.recommend(q);
    }

    /** {@link #embed(Queries.Embed, long, BooleanSupplier)} for a caller that never goes away. */
    public Queries.Embedded embed(Queries.Embed q, long deadlineNanos) {
        return answers.embed(q, deadlineNanos, Answers.STAYS);
    }

    /**
     * Embeds each text through the batcher, or from the version's query cache when it holds the
     * text's vector; see {@link #search(Queries.Search, long, BooleanSupplier)}. The access log's
     * {@code cache} is hit only when every text was.
     */
    public Queries.Embedded embed(Queries.Embed q, long deadlineNanos, BooleanSupplier callerGone) {
        return answers.embed(q, deadlineNanos, callerGone);
    }

    /** The model repository versions are loaded from. */
    public Path repository() {
        return options.modelRepo();
    }

    /** The faults injected into this service's versions (drills). */
    public Faults faults() {
        return faults;
    }

    /** The version a rollback returns to: the primary before the last promotion; empty if none. */
    public String lastKnownGood() {
        return registry.current().lastKnownGood();
    }

    /**
     * Loads one more version from the repository while the others keep serving: checksums,
     * graph signature, warm-up and catalog embeddings (or the cache) all pass before it is added.
     * Holds no lock while it loads: promote, rollback and traffic changes take effect meanwhile.
     *
     * @return how long loading took
     * @throws RecopsException.Conflict when the version is loaded or loading already
     * @throws RecopsException.NotFound when the repository has no such version
     * @throws RecopsException.VerificationFailed when the version is invalid or fails to load
     */
    public Duration loadVersion(String version) {
        VersionRegistry.State s = registry.current();
        if (s.catalog() == null || s.primary().isEmpty()) {
            throw new RecopsException.Unavailable("not_ready", "the service is still loading");
        }
        if (s.versions().containsKey(version)) {
            throw new RecopsException.Conflict("version_loaded", options.model() + " version " + version + " is loaded already");
        }
        ModelRepository.Scan scan = new ModelRepository(options.modelRepo()).scan();
        ModelVersion v = scan.versionsOf(options.model()).stream().filter(x -> x.version().equals(version)).findFirst()
                .orElseThrow(() -> scan.rejected().stream()
                        .filter(r -> r.dir().getFileName().toString().equals(version)
                                && r.dir().getParent().getFileName().toString().equals(options.model()))
                        .findFirst()
                        .<RecopsException>map(r -> new RecopsException.VerificationFailed("version_invalid", r.reason()))
                        .orElseGet(() -> new RecopsException.NotFound("version_not_found",
                                "the repository " + options.modelRepo() + " has no version " + version + " of " + options.model())));
        long start = System.nanoTime();
        loadAndPublish(v);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** The catalog served: reloads, live updates and their journal. */
    public LiveCatalog catalog() {
        return catalog;
    }

    /**
     * Stops serving a version that is not the primary: from now on no request chooses it; the
     * requests that chose it before keep it until they finish (their leases), then its queue
     * drains and the model is freed.
     *
     * @return whether the model is freed already (within {@link #UNLOAD_WAIT}); if not, requests
     *     still hold it, and it is freed in the background when they end (never reported freed before)
     * @throws RecopsException.Conflict for the primary
     * @throws RecopsException.NotFound when it is not loaded
     */
    public boolean unloadVersion(String version) {
        return unloadVersion(version, UNLOAD_WAIT);
    }

    /** As {@link #unloadVersion(String)}, waiting {@code wait} for the requests that hold it. */
    boolean unloadVersion(String version, Duration wait) {
        ServedVersion v = registry.remove(version);
        metrics.modelUnloaded(v.version().name(), version);
        if (v.retire(wait)) {
            return true;
        }
        Thread.ofPlatform().daemon().name("recops-unload-" + version).start(() -> {
            while (!closed && !v.retire(LONGEST_LEASE)) {
                LOG.warning("version " + version + " is unloaded, but requests still hold it: its model is not freed yet");
            }
        });
        return false;
    }

    /**
     * Makes a loaded version the primary, atomically: each request reads the primary once. The
     * old primary becomes the last known good version, the target of {@link #rollback()}.
     *
     * @return the previous primary
     */
    public String promote(String version) {
        return registry.promote(version);
    }

    /**
     * Returns to the last known good version (the primary before the last promotion).
     *
     * @return the version now primary
     * @throws RecopsException.Conflict when there is none to return to
     */
    public String rollback() {
        return registry.rollback();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Map<String, ServedVersion> toClose = registry.close();
        if (analysis != null) {
            analysis.interrupt();
        }
        toClose.values().forEach(v -> v.retire(Duration.ofSeconds(10)));
        loader.dropPrefetched();
        catalog.close();
        answers.close();
    }
}
