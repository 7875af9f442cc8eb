package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.batch.Batcher;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.EmbeddingCache;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.model.ManifestSignature;
import dev.recops.engine.model.ModelManifest;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.Vectors;
import dev.recops.engine.telemetry.ServerMetrics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Answers search, recommend and embed queries over the loaded versions of one model. No HTTP:
 * the server, the load generator's in-process mode and tests call it directly.
 *
 * <p>Lifecycle: construct, {@link #load()} (blocking; {@link #ready()} turns true when at least
 * the primary version serves), query from any thread, {@link #close()}. {@code close()} may be
 * called while {@code load()} runs on another thread: versions that finish loading afterwards
 * are freed, not published.
 */
public final class SearchService implements AutoCloseable {
    /** How often a waiting request asks whether its caller is still there. */
    static final long CALLER_CHECK_NANOS = 10_000_000;
    private static final BooleanSupplier STAYS = () -> false;
    /** The share of a request's time kept for the lexical fallback: at most this, at most a fifth. */
    private static final long FALLBACK_RESERVE_NANOS = 50_000_000;
    /** How long an unloaded version still takes requests that chose it just before. */
    private static final Duration UNLOAD_GRACE = Duration.ofMillis(500);

    /** How the primary version is served: the settings a latency measurement depends on. */
    public record Serving(String model, String primaryVersion, List<String> versions, int batchMax, Duration batchDelay,
                          int workers, int threads, int queueCapacity, int catalogProducts) {}

    /** A version that can serve: its encoder and its catalog index. */
    private record Loaded(ModelVersion version, TextEncoder encoder, CatalogIndex index, Batcher batcher, CircuitBreaker breaker) {
        /** Stops the batcher, then frees the model if no inference can still be running. */
        void close(Duration timeout) {
            if (batcher.close(timeout)) {
                encoder.close();
            }
        }
    }

    private final ServeOptions options;
    private final ServerMetrics metrics;
    private final ServeListener listener;
    private volatile Map<String, Loaded> loaded = Map.of();
    private volatile String primary = "";
    private volatile String lastKnownGood = "";
    private volatile Catalog catalog;
    private volatile boolean initialLoadDone;
    private volatile LexicalIndex lexical;
    private volatile TrafficPolicy policy = TrafficPolicy.NONE;
    private volatile java.util.Optional<Path> stateFile = java.util.Optional.empty();
    private volatile java.util.Optional<java.security.PublicKey> trustedKey = java.util.Optional.empty();
    private final Map<String, CanaryAnalysis.Window> windows = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Thread analysis;
    private volatile boolean closed;
    private final Object lifecycle = new Object();
    private final Faults faults = new Faults();

    public SearchService(ServeOptions options, ServerMetrics metrics, ServeListener listener) {
        this.options = Objects.requireNonNull(options, "options");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.listener = Objects.requireNonNull(listener, "listener");
        metrics.faults(() -> faults.active().stream().collect(java.util.stream.Collectors.toMap(Faults.Fault::version, Faults.Fault::kinds)));
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
        ServingState saved = stateFile.flatMap(ServingState::read).filter(st -> st.model().equals(options.model())).orElse(ServingState.NONE);
        String wantedPrimary = !options.primaryVersion().isEmpty() ? options.primaryVersion()
                : candidates.stream().anyMatch(v -> v.version().equals(saved.primary())) ? saved.primary() : "";
        Catalog catalog = CatalogLoader.load(options.catalog());
        this.lexical = LexicalIndex.build(catalog);
        this.catalog = catalog;
        listener.catalogLoaded(catalog);
        metrics.catalogSize(catalog.size());

        // The primary first, so the service turns ready as soon as it can answer; the other
        // versions follow and join as each finishes. An implicit primary that fails to load
        // hands over to the next highest version.
        List<ModelVersion> order = new ArrayList<>(candidates.reversed());
        if (!wantedPrimary.isEmpty()) {
            order.sort(Comparator.comparing(v -> !v.version().equals(wantedPrimary)));
        }
        RecopsException firstFailure = null;
        for (ModelVersion version : order) {
            if (closed) {
                return;
            }
            Loaded l;
            try {
                l = loadVersion(version, catalog);
            } catch (RecopsException e) {
                if (closed) {
                    return;
                }
                listener.versionFailed(version, e.getMessage());
                if (version.version().equals(options.primaryVersion())) {
                    throw e;
                }
                firstFailure = firstFailure == null ? e : firstFailure;
                continue;
            }
            if (!publish(l)) {
                return;
            }
        }
        if (primary.isEmpty()) {
            throw firstFailure;
        }
        restore(saved);
        initialLoadDone = true;
    }

    /** From now on, a version loads only with a manifest signature that this key verifies; set before {@link #load()}. */
    public void trustedKey(java.security.PublicKey key) {
        this.trustedKey = java.util.Optional.of(key);
    }

    /** Where the primary, the rollback target and the traffic policy are kept across restarts; set before {@link #load()}. */
    public void stateFile(Path file) {
        this.stateFile = java.util.Optional.of(file);
    }

    /** Takes back what was saved, as far as the versions it names are loaded. */
    private void restore(ServingState saved) {
        synchronized (lifecycle) {
            if (loaded.containsKey(saved.lastKnownGood()) && !saved.lastKnownGood().equals(primary)) {
                lastKnownGood = saved.lastKnownGood();
            }
            TrafficPolicy p = saved.policy();
            boolean canaryOk = p.canaryVersion().isEmpty() || loaded.containsKey(p.canaryVersion()) && !p.canaryVersion().equals(primary);
            boolean shadowOk = p.shadowVersion().isEmpty() || loaded.containsKey(p.shadowVersion());
            policy = canaryOk && shadowOk ? p : TrafficPolicy.NONE;
            persist();
        }
    }

    private void persist() {
        stateFile.ifPresent(f -> new ServingState(options.model(), primary, lastKnownGood, policy).write(f));
    }

    /**
     * Starts automatic canary analysis (see {@link CanaryAnalysis}); it stops when the returned
     * action runs or the service closes.
     */
    public Runnable analyseCanaries(CanaryAnalysis settings) {
        Thread t = settings.start(windows, () -> primary, () -> policy, this::dropCanary, metrics);
        analysis = t;
        return t::interrupt;
    }

    /** Takes a canary out of the traffic policy, if it is still the canary. */
    private void dropCanary(String version) {
        synchronized (lifecycle) {
            TrafficPolicy next = policy.withoutCanary(version);
            if (next != policy) {
                policy = next;
                persist();
            }
        }
    }

    /** The traffic policy in force. */
    public TrafficPolicy traffic() {
        return policy;
    }

    /**
     * Sets the canary split and the shadow version; both must be loaded, and the canary must not
     * be the primary. Saved with the serving state.
     */
    public void traffic(TrafficPolicy next) {
        synchronized (lifecycle) {
            for (String v : List.of(next.canaryVersion(), next.shadowVersion())) {
                if (!v.isEmpty() && !loaded.containsKey(v)) {
                    throw new RecopsException.NotFound("version_not_loaded", "version " + v + " is not loaded; load it first");
                }
            }
            if (next.canaryVersion().equals(primary)) {
                throw new RecopsException.Conflict("canary_is_primary", "version " + primary + " is the primary already");
            }
            policy = next;
            persist();
        }
    }

    /** Makes a loaded version servable; false (and the version freed) if the service closed meanwhile. */
    private synchronized boolean publish(Loaded l) {
        if (closed) {
            l.close(Duration.ZERO);
            return false;
        }
        Map<String, Loaded> next = new LinkedHashMap<>(loaded);
        next.put(l.version().version(), l);
        loaded = Map.copyOf(next);
        if (primary.isEmpty()) {
            primary = l.version().version();
        }
        return true;
    }

    private Loaded loadVersion(ModelVersion version, Catalog catalog) {
        listener.versionLoading(version);
        long start = System.nanoTime();
        trustedKey.ifPresent(key -> ManifestSignature.verify(version.dir(), key));
        TextEncoder encoder = TextEncoder.load(version, options.intraOpThreads());
        try {
            CatalogIndex index = CatalogIndex.build(catalog, encoder, options.cacheDir().map(EmbeddingCache::new),
                    (done, total) -> {
                        if (closed) { // stop embedding for a service nobody will use
                            throw new RecopsException.Unavailable("closed", "the service closed while loading " + version.id());
                        }
                        listener.embedding(version, done, total);
                    });
            Batcher batcher = new Batcher(version.id(), batch -> faults.around(version.version(), () -> encoder.infer(batch)),
                    batchSettings(version),
                    metrics.batchObserver(version.name(), version.version()));
            metrics.queue(version.name(), version.version(), batcher::queueDepth, batcher.settings().queueCapacity());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            metrics.modelLoaded(version.name(), version.version(), took.toNanos() / 1e9);
            listener.versionLoaded(version, took, index.fromCache());
            CircuitBreaker breaker = CircuitBreaker.standard();
            metrics.breaker(version.name(), version.version(), () -> breaker.state().ordinal());
            return new Loaded(version, encoder, index, batcher, breaker);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    private Batcher.Settings batchSettings(ModelVersion version) {
        ModelManifest.ServingHints hints = version.manifest().serving();
        return new Batcher.Settings(
                options.batchMax().orElse(hints.batchMax()),
                options.batchDelay().orElse(Duration.ofMillis(hints.batchDelayMillis())),
                options.queueCapacity(),
                options.workers());
    }

    /**
     * Refuses a request at once when the primary version would shed it, before any work is spent
     * on it. Versions share the machine's cores, so a full primary queue means a saturated replica.
     */
    public void admitEarly(long deadlineNanos) {
        Loaded v = loaded.get(primary);
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
        return !primary.isEmpty();
    }

    public String modelName() {
        return options.model();
    }

    /** The version answering queries that name none, or empty before {@link #load()}. */
    public String primaryVersion() {
        return primary;
    }

    /** Loaded versions, oldest first. */
    public List<String> versions() {
        List<String> versions = new ArrayList<>(loaded.keySet());
        versions.sort(ModelRepository.VERSION_ORDER);
        return versions;
    }

    /** The vector size of a loaded version (empty for the primary), if that version is loaded. */
    public java.util.OptionalInt dimensionOf(String version) {
        Loaded v = loaded.get(version.isEmpty() ? primary : version);
        return v == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(v.encoder().dimension());
    }

    /** How the primary version is served; empty before {@link #load()}. */
    public java.util.Optional<Serving> serving() {
        Loaded v = loaded.get(primary);
        if (v == null) {
            return java.util.Optional.empty();
        }
        Batcher.Settings b = v.batcher().settings();
        return java.util.Optional.of(new Serving(options.model(), primary, versions(), b.maxBatch(), b.maxDelay(), b.workers(),
                options.intraOpThreads(), b.queueCapacity(), v.index().size()));
    }

    /** Products in the served catalog; 0 before {@link #load()}. */
    public int catalogSize() {
        return loaded.values().stream().findFirst().map(l -> l.index().size()).orElse(0);
    }

    /** {@link #search(Queries.Search, long, BooleanSupplier)} for a caller that never goes away. */
    public Queries.Ranked search(Queries.Search q, long deadlineNanos) {
        return search(q, deadlineNanos, STAYS);
    }

    /**
     * @param deadlineNanos {@link System#nanoTime()} after which the answer is useless
     * @param callerGone asked while the request waits for the model (first after
     *     {@link #CALLER_CHECK_NANOS}, then at that interval); true withdraws the request
     * @throws RecopsException.Unavailable when shed; {@link RecopsException.DeadlineExceeded} when
     *     late; {@link RecopsException.Cancelled} when the caller went away
     */
    public Queries.Ranked search(Queries.Search q, long deadlineNanos, BooleanSupplier callerGone) {
        Loaded v = resolve(q.target());
        long start = System.nanoTime();
        boolean error = true;
        try {
            Queries.Ranked r = answer(v, q, deadlineNanos, callerGone, start);
            error = r.degraded();
            return r;
        } finally {
            windows.computeIfAbsent(v.version().version(), x -> new CanaryAnalysis.Window()).record(System.nanoTime() - start, error);
        }
    }

    private Queries.Ranked answer(Loaded v, Queries.Search q, long deadlineNanos, BooleanSupplier callerGone, long start) {
        if (!v.breaker().allow()) {
            return degraded(v, q, "breaker_open", start);
        }
        // The model may use the request's time but the fallback's share: a slow model still leaves
        // time to answer from the lexical index within the deadline.
        long modelDeadline = deadlineNanos - Math.min(FALLBACK_RESERVE_NANOS, (deadlineNanos - start) / 5);
        Batcher.Result r;
        try {
            r = await(v, v.batcher().submit(v.encoder().tokenizeOne(q.query()), modelDeadline), modelDeadline, callerGone);
        } catch (RecopsException.DeadlineExceeded e) {
            v.breaker().failure();
            return degraded(v, q, "timeout", start);
        } catch (RecopsException.Failure e) {
            v.breaker().failure();
            return degraded(v, q, "model_error", start);
        } catch (RecopsException e) {
            v.breaker().abandon(); // shed or cancelled: says nothing about the model
            throw e;
        }
        v.breaker().success();
        long t0 = System.nanoTime();
        List<CatalogIndex.Hit> hits = v.index().search(r.vector(), q.k(), q.filters()::matches, row -> false);
        long retrieve = System.nanoTime() - t0;
        List<Queries.Result> results = hits.stream().map(h -> Queries.Result.of(h.product(), h.score())).toList();
        shadow(v, q, results);
        return new Queries.Ranked(v.version().name(), v.version().version(), results, r.tokens(),
                new Queries.Timings(r.queueNanos(), r.inferenceNanos(), retrieve, r.batchSize()), "");
    }

    /**
     * Sends a copy of the search to the shadow version, off the request's thread; its answer is
     * discarded, its latency and its top-k agreement with the answer given are recorded.
     */
    private void shadow(Loaded answered, Queries.Search q, List<Queries.Result> given) {
        String shadowVersion = policy.shadowVersion();
        Loaded s = shadowVersion.isEmpty() || shadowVersion.equals(answered.version().version()) ? null : loaded.get(shadowVersion);
        if (s == null) {
            return;
        }
        Thread.ofVirtual().name("recops-shadow").start(() -> {
            long start = System.nanoTime();
            try {
                long deadline = start + options.requestTimeout().toNanos();
                Batcher.Result r = s.batcher().submit(s.encoder().tokenizeOne(q.query()), deadline)
                        .get(options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
                Set<String> theirs = new HashSet<>();
                s.index().search(r.vector(), q.k(), q.filters()::matches, row -> false).forEach(h -> theirs.add(h.product().productId()));
                long same = given.stream().filter(x -> theirs.contains(x.productId())).count();
                metrics.shadow(s.version().version(), "ok", (System.nanoTime() - start) / 1e9, given.isEmpty() ? 1 : same / (double) given.size());
            } catch (RecopsException.Unavailable e) {
                metrics.shadow(s.version().version(), "shed", 0, Double.NaN);
            } catch (TimeoutException e) {
                metrics.shadow(s.version().version(), "timeout", 0, Double.NaN);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | RuntimeException e) {
                metrics.shadow(s.version().version(), "error", 0, Double.NaN);
            }
        });
    }

    /** The answer without the model: BM25 over titles and brands. */
    private Queries.Ranked degraded(Loaded v, Queries.Search q, String reason, long start) {
        metrics.degraded("search", reason);
        long t0 = System.nanoTime();
        List<Queries.Result> results = lexical.search(q.query(), q.k(), q.filters()::matches).stream()
                .map(h -> Queries.Result.of(h.product(), h.score())).toList();
        return new Queries.Ranked(v.version().name(), v.version().version(), results, 0,
                new Queries.Timings(t0 - start, 0, System.nanoTime() - t0, 0), reason);
    }

    public Queries.Ranked recommend(Queries.Recommend q) {
        Loaded v = resolve(q.target());
        CatalogIndex index = v.index();
        Set<Integer> seen = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String id : q.recentProductIds()) {
            index.row(id).ifPresentOrElse(seen::add, () -> unknown.add(id));
        }
        if (!unknown.isEmpty()) {
            throw new RecopsException.InvalidInput("unknown_product",
                    "unknown product id" + (unknown.size() == 1 ? " " : "s ") + String.join(", ", unknown.subList(0, Math.min(5, unknown.size())))
                            + (unknown.size() > 5 ? " (and " + (unknown.size() - 5) + " more)" : ""));
        }
        long t0 = System.nanoTime();
        float[] profile = new float[index.dimension()];
        for (int row : seen) {
            float[] vec = index.vector(row);
            for (int d = 0; d < vec.length; d++) {
                profile[d] += vec[d];
            }
        }
        Vectors.normalize(profile);
        List<CatalogIndex.Hit> hits = index.search(profile, q.k(), p -> true, seen::contains);
        List<Queries.Result> results = hits.stream().map(h -> Queries.Result.of(h.product(), h.score())).toList();
        return new Queries.Ranked(v.version().name(), v.version().version(), results, 0, new Queries.Timings(0, 0, System.nanoTime() - t0, 0), "");
    }

    /** {@link #embed(Queries.Embed, long, BooleanSupplier)} for a caller that never goes away. */
    public Queries.Embedded embed(Queries.Embed q, long deadlineNanos) {
        return embed(q, deadlineNanos, STAYS);
    }

    /** Embeds each text through the batcher; see {@link #search(Queries.Search, long, BooleanSupplier)}. */
    public Queries.Embedded embed(Queries.Embed q, long deadlineNanos, BooleanSupplier callerGone) {
        Loaded v = resolve(q.target());
        List<CompletableFuture<Batcher.Result>> futures = new ArrayList<>(q.texts().size());
        try {
            for (String text : q.texts()) {
                futures.add(v.batcher().submit(v.encoder().tokenizeOne(text), deadlineNanos));
            }
        } catch (RecopsException e) {
            futures.forEach(f -> f.cancel(false));
            throw e;
        }
        List<float[]> vectors = new ArrayList<>(futures.size());
        long queue = 0;
        long inference = 0;
        int batch = 0;
        for (CompletableFuture<Batcher.Result> f : futures) {
            Batcher.Result r;
            try {
                r = await(v, f, deadlineNanos, callerGone);
            } catch (RecopsException e) {
                futures.forEach(other -> other.cancel(false)); // the answer is lost: withdraw the rest
                throw e;
            }
            vectors.add(r.vector());
            queue = Math.max(queue, r.queueNanos());
            inference = Math.max(inference, r.inferenceNanos());
            batch = Math.max(batch, r.batchSize());
        }
        return new Queries.Embedded(v.version().name(), v.version().version(), v.encoder().dimension(), vectors,
                new Queries.Timings(queue, inference, 0, batch));
    }

    private Loaded resolve(Queries.Target target) {
        if (!ready()) {
            throw new RecopsException.Unavailable("not_ready", "the model is still loading");
        }
        String version = target.version();
        if (version.isEmpty()) {
            TrafficPolicy p = policy;
            Loaded canary = p.toCanary(target.routingKey()) ? loaded.get(p.canaryVersion()) : null;
            if (canary != null) {
                return canary;
            }
            version = primary;
        }
        Loaded v = loaded.get(version);
        if (v == null && target.version().isEmpty()) {
            version = primary; // promoted and the old primary unloaded between the two reads
            v = loaded.get(version);
        }
        if (v == null) {
            throw new RecopsException.NotFound("version_not_found",
                    "model " + options.model() + " has no loaded version " + version + " (loaded: " + String.join(", ", versions()) + ")");
        }
        return v;
    }

    /**
     * Waits for a batched result until the deadline, asking every {@link #CALLER_CHECK_NANOS}
     * whether the caller is still there; a late or abandoned request is withdrawn from the queue.
     */
    private Batcher.Result await(Loaded v, CompletableFuture<Batcher.Result> future, long deadlineNanos, BooleanSupplier callerGone) {
        try {
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                try {
                    return future.get(Math.clamp(left, 0, CALLER_CHECK_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (left <= CALLER_CHECK_NANOS) {
                        future.cancel(false);
                        metrics.deadlineWhileWaiting(v.version().name(), v.version().version());
                        throw new RecopsException.DeadlineExceeded("deadline_exceeded", v.version().id() + " did not answer within the request's deadline");
                    }
                    if (callerGone.getAsBoolean()) {
                        future.cancel(false);
                        throw new RecopsException.Cancelled("client_closed", "the client closed the connection while the request waited for " + v.version().id());
                    }
                }
            }
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new RecopsException.Unavailable("interrupted", "the request was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RecopsException re) {
                throw re;
            }
            throw new RecopsException.Failure("inference_failed", v.version().id() + ": inference failed: " + e.getCause(), e.getCause());
        }
    }


    /** The model repository versions are loaded from. */
    public java.nio.file.Path repository() {
        return options.modelRepo();
    }

    /** The faults injected into this service's versions (drills). */
    public Faults faults() {
        return faults;
    }

    /** The version a rollback returns to: the primary before the last promotion; empty if none. */
    public String lastKnownGood() {
        return lastKnownGood;
    }

    /**
     * Loads one more version from the repository while the others keep serving: checksums,
     * graph signature, warm-up and catalog embeddings (or the cache) all pass before it is added.
     *
     * @return how long loading took
     * @throws RecopsException.Conflict when the version is loaded already
     * @throws RecopsException.NotFound when the repository has no such version
     * @throws RecopsException.VerificationFailed when the version is invalid or fails to load
     */
    public Duration loadVersion(String version) {
        synchronized (lifecycle) {
            Catalog c = catalog;
            if (c == null || primary.isEmpty()) {
                throw new RecopsException.Unavailable("not_ready", "the service is still loading");
            }
            if (loaded.containsKey(version)) {
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
            Loaded l = loadVersion(v, c);
            if (!publish(l)) {
                throw new RecopsException.Unavailable("shutting_down", "the service is closing");
            }
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    /**
     * Reads the catalog file again and swaps it in for every loaded version at once, while the
     * old one keeps serving: the file is checked and every version's embeddings (or the cache)
     * and the lexical index are built first. A missing or invalid file changes nothing.
     *
     * @param force take a catalog with fewer than half the products served (otherwise refused as a
     *     likely half-copied file)
     * @return the products now served
     * @throws RecopsException.PreconditionFailed when the file is missing
     * @throws RecopsException.InvalidInput when it is not a usable catalog
     * @throws RecopsException.Conflict when it shrank by more than half without {@code force}
     */
    public int reloadCatalog(boolean force) {
        synchronized (lifecycle) {
            if (!initialLoadDone) { // a version still loading would keep the old catalog
                throw new RecopsException.Unavailable("not_ready", "the service is still loading its versions");
            }
            Catalog c = CatalogLoader.load(options.catalog());
            if (!force && c.size() < catalog.size() / 2.0) {
                throw new RecopsException.Conflict("catalog_shrunk", "the catalog " + options.catalog() + " has " + c.size()
                        + " products, fewer than half of the " + catalog.size() + " served; reload with force if that is meant");
            }
            LexicalIndex lex = LexicalIndex.build(c);
            Map<String, Loaded> next = new LinkedHashMap<>();
            for (Loaded l : loaded.values()) {
                CatalogIndex index = CatalogIndex.build(c, l.encoder(), options.cacheDir().map(EmbeddingCache::new),
                        (done, total) -> listener.embedding(l.version(), done, total));
                next.put(l.version().version(), new Loaded(l.version(), l.encoder(), index, l.batcher(), l.breaker()));
            }
            synchronized (this) {
                loaded = Map.copyOf(next);
                catalog = c;
                lexical = lex;
            }
            listener.catalogLoaded(c);
            metrics.catalogSize(c.size());
            return c.size();
        }
    }

    /**
     * Stops serving a version that is not the primary; its queued requests finish first.
     *
     * @throws RecopsException.Conflict for the primary
     * @throws RecopsException.NotFound when it is not loaded
     */
    public void unloadVersion(String version) {
        Loaded l;
        synchronized (lifecycle) {
            if (version.equals(primary)) {
                throw new RecopsException.Conflict("version_is_primary",
                        "version " + version + " is the primary; promote another version first");
            }
            synchronized (this) {
                l = loaded.get(version);
                if (l == null) {
                    throw new RecopsException.NotFound("version_not_loaded", "version " + version + " is not loaded");
                }
                Map<String, Loaded> next = new LinkedHashMap<>(loaded);
                next.remove(version);
                loaded = Map.copyOf(next);
                if (version.equals(lastKnownGood)) {
                    lastKnownGood = "";
                }
                policy = policy.without(version);
                persist();
            }
            metrics.modelUnloaded(l.version().name(), version);
        }
        // A request that resolved this version just before it left may still submit to it.
        try {
            Thread.sleep(UNLOAD_GRACE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        l.close(options.requestTimeout().plusSeconds(1)); // what was queued is bounded by its deadline
    }

    /**
     * Makes a loaded version the primary, atomically: each request reads the primary once. The
     * old primary becomes the last known good version, the target of {@link #rollback()}.
     *
     * @return the previous primary
     */
    public String promote(String version) {
        synchronized (lifecycle) {
            if (!loaded.containsKey(version)) {
                throw new RecopsException.NotFound("version_not_loaded", "version " + version + " is not loaded; load it first");
            }
            String previous = primary;
            if (!previous.equals(version)) {
                lastKnownGood = previous;
                primary = version;
                policy = policy.withoutCanary(version); // a promoted canary graduates
            }
            persist();
            return previous;
        }
    }

    /**
     * Returns to the last known good version (the primary before the last promotion).
     *
     * @return the version now primary
     * @throws RecopsException.Conflict when there is none to return to
     */
    public String rollback() {
        synchronized (lifecycle) {
            String target = lastKnownGood;
            if (target.isEmpty() || !loaded.containsKey(target)) {
                throw new RecopsException.Conflict("no_rollback_target", "there is no last known good version to roll back to");
            }
            lastKnownGood = primary;
            primary = target;
            policy = policy.withoutCanary(target);
            persist();
            return target;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Map<String, Loaded> toClose;
        synchronized (this) {
            toClose = loaded;
            loaded = Map.of();
            primary = "";
        }
        if (analysis != null) {
            analysis.interrupt();
        }
        toClose.values().forEach(l -> l.close(Duration.ofSeconds(10)));
    }
}
