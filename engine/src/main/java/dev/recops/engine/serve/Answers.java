package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.batch.Batcher;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.Fusion;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.model.TokenizedText;
import dev.recops.engine.model.Vectors;
import dev.recops.engine.telemetry.ServerMetrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Answers search, recommend and embed queries with the version each request is routed to: the
 * query cache, the batcher (through {@link Waits}), the breaker and its fallback (BM25, marked
 * degraded), the shadow copy and the retrieval. The versions' lifecycle is {@link SearchService}'s.
 */
final class Answers implements AutoCloseable {
    static final BooleanSupplier STAYS = () -> false;
    /** The share of a request's time kept for the lexical fallback: at most this, at most a fifth. */
    private static final long FALLBACK_RESERVE_NANOS = 50_000_000;

    private final ServeOptions options;
    private final ServerMetrics metrics;
    private final VersionRegistry registry;
    private final Router router;
    private final Waits waits;
    private volatile Queries.Mode defaultMode = Queries.Mode.VECTOR;

    Answers(ServeOptions options, ServerMetrics metrics, VersionRegistry registry, Router router) {
        this.options = options;
        this.metrics = metrics;
        this.registry = registry;
        this.router = router;
        this.waits = new Waits(metrics);
    }

    /** How searches that name no mode retrieve. */
    void defaultMode(Queries.Mode mode) {
        this.defaultMode = mode;
    }

    /** See {@link SearchService#search(Queries.Search, long, BooleanSupplier)}. */
    Queries.Ranked search(Queries.Search q, long deadlineNanos, BooleanSupplier callerGone) {
        checkFilters(q.filters());
        try (ServedVersion.Lease lease = router.route(q.target())) {
            ServedVersion v = lease.version();
            long start = System.nanoTime();
            boolean error = true;
            boolean byTheModel = false;
            try {
                Queries.Ranked r = answer(v, q, deadlineNanos, callerGone, start);
                error = r.degraded();
                byTheModel = !error && r.timings().batchSize() > 0; // not a cache hit, a lexical search or the fallback
                return r;
            } finally {
                router.record(v.name(), System.nanoTime() - start, error, byTheModel);
            }
        }
    }

    private Queries.Ranked answer(ServedVersion v, Queries.Search q, long deadlineNanos, BooleanSupplier callerGone, long start) {
        Queries.Mode mode = q.mode() == Queries.Mode.DEFAULT ? defaultMode : q.mode();
        if (mode == Queries.Mode.LEXICAL) {
            return lexical(v, q, start, "");
        }
        TokenizedText tokens = tokenizeQuery(v, q.query());
        QueryCache.Entry cached = v.queries().get(tokens);
        if (cached != null) { // a vector this version computed: no queue, no model (an open breaker need not stop it)
            long t0 = System.nanoTime();
            List<Queries.Result> results = retrieve(v, q, mode, cached.vector());
            long retrieve = System.nanoTime() - t0;
            shadow(v.name(), q, results);
            return new Queries.Ranked(v.version().name(), v.name(), results, cached.tokens(),
                    new Queries.Timings(0, 0, retrieve, 0, Queries.Cached.HIT), "");
        }
        if (!v.breaker().allow()) {
            return degraded(v, q, "breaker_open", start);
        }
        // The model may use the request's time but the fallback's share: a slow model still leaves
        // time to answer from the lexical index within the deadline.
        long modelDeadline = deadlineNanos - Math.min(FALLBACK_RESERVE_NANOS, (deadlineNanos - start) / 5);
        Batcher.Result r;
        try {
            r = waits.await(v, v.batcher().submit(tokens, modelDeadline), modelDeadline, callerGone);
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
        v.queries().put(tokens, r.vector());
        long t0 = System.nanoTime();
        List<Queries.Result> results = retrieve(v, q, mode, r.vector());
        long retrieve = System.nanoTime() - t0;
        shadow(v.name(), q, results);
        return new Queries.Ranked(v.version().name(), v.name(), results, r.tokens(),
                new Queries.Timings(r.queueNanos(), r.inferenceNanos(), retrieve, r.batchSize(),
                        v.queries().enabled() ? Queries.Cached.MISS : Queries.Cached.NONE), "");
    }

    /**
     * Sends a copy of the search to the shadow version, off the request's thread; its answer is
     * discarded, its latency and its top-k agreement with the answer given are recorded.
     */
    private void shadow(String answered, Queries.Search q, List<Queries.Result> given) {
        ServedVersion.Lease lease = router.shadowOf(answered);
        if (lease == null) {
            return;
        }
        Thread.ofVirtual().name("recops-shadow").start(() -> {
            ServedVersion s = lease.version();
            long start = System.nanoTime();
            try (lease) {
                long deadline = start + options.requestTimeout().toNanos();
                TokenizedText tokens = tokenizeQuery(s, q.query());
                QueryCache.Entry cached = s.queries().get(tokens);
                float[] vector = cached != null ? cached.vector()
                        : s.batcher().submit(tokens, deadline).get(options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS).vector();
                if (cached == null) {
                    s.queries().put(tokens, vector);
                }
                Set<String> theirs = new HashSet<>();
                s.index().search(vector, q.k(), q.filters(), Set.of()).forEach(h -> theirs.add(h.product().productId()));
                long same = given.stream().filter(x -> theirs.contains(x.productId())).count();
                metrics.shadow(s.name(), "ok", (System.nanoTime() - start) / 1e9, given.isEmpty() ? 1 : same / (double) given.size());
            } catch (RecopsException.Unavailable e) {
                metrics.shadow(s.name(), "shed", 0, Double.NaN);
            } catch (TimeoutException e) {
                metrics.shadow(s.name(), "timeout", 0, Double.NaN);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | RuntimeException e) {
                metrics.shadow(s.name(), "error", 0, Double.NaN);
            }
        });
    }

    /** A filter on an attribute no product has is a mistake in the request (a typo), not an empty answer. */
    private void checkFilters(ProductFilter filters) {
        VersionRegistry.CatalogState c = registry.current().catalog();
        if (c == null || filters.names().isEmpty()) {
            return;
        }
        SortedSet<String> known = c.catalog().filterable();
        for (String name : filters.names()) {
            if (!known.contains(name)) {
                throw new RecopsException.InvalidInput("invalid_field", "unknown filter \"" + name + "\": this catalog can be filtered on "
                        + String.join(", ", known));
            }
        }
    }

    /** A search query as the version's model expects it: with its query prefix (e5: "query: "), if any. */
    private static TokenizedText tokenizeQuery(ServedVersion v, String query) {
        return v.encoder().tokenizeOne(v.version().manifest().queryPrefix() + query);
    }

    /** The vector ranking, or it fused with BM25's; filters apply inside both. */
    private List<Queries.Result> retrieve(ServedVersion v, Queries.Search q, Queries.Mode mode, float[] vector) {
        if (mode == Queries.Mode.VECTOR) {
            return v.index().search(vector, q.k(), q.filters(), Set.of()).stream()
                    .map(h -> Queries.Result.of(h.product(), h.score())).toList();
        }
        int depth = Fusion.depth(q.k());
        List<CatalogIndex.Hit> byVector = v.index().search(vector, depth, q.filters(), Set.of());
        List<LexicalIndex.Hit> byWords = words(v, q.query(), depth, q.filters());
        return mode.rank(byVector, byWords, q.k()).stream().map(h -> Queries.Result.of(h.product(), h.score())).toList();
    }

    /** BM25 over titles and brands: in the version's HNSW index when it has one, else in the catalog's in-memory index. */
    private List<LexicalIndex.Hit> words(ServedVersion v, String query, int k, ProductFilter filter) {
        var hnsw = v.index().hnsw();
        return hnsw.isPresent() ? hnsw.get().lexical(query, k, filter)
                : registry.current().catalog().lexical().search(query, k, filter::matches);
    }

    /** The answer without the model: BM25 over titles and brands. */
    private Queries.Ranked degraded(ServedVersion v, Queries.Search q, String reason, long start) {
        metrics.degraded("search", reason);
        return lexical(v, q, start, reason);
    }

    /** BM25 over titles and brands: the lexical mode, and the degraded answer (with its reason). */
    private Queries.Ranked lexical(ServedVersion v, Queries.Search q, long start, String degradedReason) {
        long t0 = System.nanoTime();
        List<Queries.Result> results = words(v, q.query(), q.k(), q.filters()).stream()
                .map(h -> Queries.Result.of(h.product(), h.score())).toList();
        return new Queries.Ranked(v.version().name(), v.name(), results, 0,
                new Queries.Timings(t0 - start, 0, System.nanoTime() - t0, 0), degradedReason);
    }

    Queries.Ranked recommend(Queries.Recommend q) {
        try (ServedVersion.Lease lease = router.route(q.target())) {
            ServedVersion v = lease.version();
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
            List<CatalogIndex.Hit> hits = index.search(profile, q.k(), ProductFilter.NONE, seen);
            List<Queries.Result> results = hits.stream().map(h -> Queries.Result.of(h.product(), h.score())).toList();
            return new Queries.Ranked(v.version().name(), v.name(), results, 0, new Queries.Timings(0, 0, System.nanoTime() - t0, 0), "");
        }
    }

    /** See {@link SearchService#embed(Queries.Embed, long, BooleanSupplier)}. */
    Queries.Embedded embed(Queries.Embed q, long deadlineNanos, BooleanSupplier callerGone) {
        try (ServedVersion.Lease lease = router.route(q.target())) {
            ServedVersion v = lease.version();
            List<CompletableFuture<Batcher.Result>> futures = new ArrayList<>(q.texts().size());
            List<TokenizedText> missed = new ArrayList<>(); // by position; null for a hit
            try {
                for (String text : q.texts()) {
                    TokenizedText tokens = v.encoder().tokenizeOne(text);
                    QueryCache.Entry cached = v.queries().get(tokens);
                    missed.add(cached == null ? tokens : null);
                    futures.add(cached != null ? CompletableFuture.completedFuture(new Batcher.Result(cached.vector(), cached.tokens(), 0, 0, 0))
                            : v.batcher().submit(tokens, deadlineNanos));
                }
            } catch (RecopsException e) {
                futures.forEach(f -> f.cancel(false));
                throw e;
            }
            List<float[]> vectors = new ArrayList<>(futures.size());
            long queue = 0;
            long inference = 0;
            int batch = 0;
            for (int i = 0; i < futures.size(); i++) {
                Batcher.Result r;
                try {
                    r = waits.await(v, futures.get(i), deadlineNanos, callerGone);
                } catch (RecopsException e) {
                    futures.forEach(other -> other.cancel(false)); // the answer is lost: withdraw the rest
                    throw e;
                }
                if (missed.get(i) != null) {
                    v.queries().put(missed.get(i), r.vector());
                }
                vectors.add(r.vector());
                queue = Math.max(queue, r.queueNanos());
                inference = Math.max(inference, r.inferenceNanos());
                batch = Math.max(batch, r.batchSize());
            }
            Queries.Cached cached = !v.queries().enabled() ? Queries.Cached.NONE
                    : missed.stream().allMatch(Objects::isNull) ? Queries.Cached.HIT : Queries.Cached.MISS;
            return new Queries.Embedded(v.version().name(), v.name(), v.encoder().dimension(), vectors,
                    new Queries.Timings(queue, inference, 0, batch, cached));
        }
    }

    @Override
    public void close() {
        waits.close();
    }
}
