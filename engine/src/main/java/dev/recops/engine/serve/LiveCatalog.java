package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.batch.Batcher;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogJournal;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.EmbeddingCache;
import dev.recops.engine.catalog.HnswIndex;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.catalog.ProductPatch;
import dev.recops.engine.telemetry.ServerMetrics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The catalog's life while serving: the first load (the file and its journaled updates), whole
 * reloads, and live updates of single products.
 *
 * <p>An upsert embeds its new and changed texts with every loaded version through the version's
 * batcher at background priority (queries go first), holding no lock, so deletes, patches and
 * queries go on meanwhile; then, under the one lock of catalog changes, it writes the journal,
 * builds the next catalog (each product keeps its vector unless its text changed) and swaps it in
 * for every version at once. Deletes and patches need no model and take effect at once.
 */
public final class LiveCatalog {
    /** How long a replaced index stays open: past the longest deadline a request may have. */
    private static final Duration RETIRE_AFTER = Duration.ofMillis(ServeServer.MAX_TIMEOUT_MS).plusSeconds(30);
    private static final ScheduledExecutorService RETIRE = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("recops-index-retire").factory());
    /** Texts a version embeds per lease: an unload waits at most for one such chunk. */
    private static final int EMBED_CHUNK = 64;

    /**
     * What an update did.
     *
     * @param requested products named in the call
     * @param changed products that differed from what was served, now applied
     * @param embedded texts embedded, over all versions
     * @param notFound ids of a delete that the catalog did not have
     * @param products products served after it
     */
    public record Result(String op, int requested, int changed, int embedded, List<String> notFound, int products) {}

    /** The catalog served and its journal. */
    public record Status(int products, Optional<CatalogJournal.Status> journal, long backlog) {}

    private final ServeOptions options;
    private final VersionRegistry registry;
    private final VersionLoader loader;
    private final ServeListener listener;
    private final ServerMetrics metrics;
    private final BooleanSupplier closed;
    /** Catalog changes, one at a time; never held by anything a query or a rollback waits for. */
    private final Object changes = new Object();
    private final AtomicLong backlog = new AtomicLong();
    private volatile Optional<CatalogJournal> journal = Optional.empty();
    private volatile boolean ready;

    LiveCatalog(ServeOptions options, VersionRegistry registry, VersionLoader loader, ServeListener listener, ServerMetrics metrics,
            BooleanSupplier closed) {
        this.options = options;
        this.registry = registry;
        this.loader = loader;
        this.listener = listener;
        this.metrics = metrics;
        this.closed = closed;
    }

    /**
     * Keeps live updates in this journal directory, so a restart serves them (see {@link
     * CatalogJournal}; taken over: closed with the service); given at construction ({@link ServiceSetup}).
     * Without one, updates last until the process ends.
     */
    void journal(CatalogJournal j) {
        journal = Optional.of(j);
    }

    /** Where parsed catalogs are kept between starts: beside the embedding cache, none without one. */
    private Optional<Path> snapshots() {
        return options.cacheDir().map(d -> d.resolveSibling("catalog-snapshot"));
    }

    /** Loads the catalog file and the updates journaled for it, and serves it (before any version loads). */
    Catalog initial() {
        Catalog file = CatalogLoader.load(options.catalog(), snapshots());
        Catalog served = journal.map(j -> j.recover(file)).orElse(file);
        registry.catalog(state(served));
        listener.catalogLoaded(served);
        metrics.catalogSize(served.size());
        return served;
    }

    /** Every version of the first load is in: whole reloads may start. */
    void initialLoadDone() {
        ready = true;
    }

    /**
     * Reads the catalog file again and swaps it in for every loaded version at once. A file whose
     * content is what the live updates were applied to changes nothing; a new file replaces the
     * catalog and its updates (those are set aside in the journal directory).
     *
     * @param force take a catalog with fewer than half the products served (otherwise refused as a
     *     likely half-copied file)
     * @return the products now served
     * @throws RecopsException.PreconditionFailed when the file is missing
     * @throws RecopsException.InvalidInput when it is not a usable catalog
     * @throws RecopsException.Conflict when it shrank by more than half without {@code force}
     */
    public int reload(boolean force) {
        synchronized (changes) {
            if (!ready) { // a version still loading would keep the old catalog
                throw new RecopsException.Unavailable("not_ready", "the service is still loading its versions");
            }
            Catalog c = CatalogLoader.load(options.catalog(), snapshots());
            Catalog served = registry.current().catalog().catalog();
            if (journal.isPresent() && c.contentHash().equals(journal.get().status().originSha256())) {
                return served.size(); // the same file: what is served is it with its updates
            }
            if (!force && c.size() < served.size() / 2.0) {
                throw new RecopsException.Conflict("catalog_shrunk", "the catalog " + options.catalog() + " has " + c.size()
                        + " products, fewer than half of the " + served.size() + " served; reload with force if that is meant");
            }
            Catalog next = journal.map(j -> j.recover(c)).orElse(c);
            swap(next, (v, cat) -> loader.index(v.encoder(), cat));
            listener.catalogLoaded(next);
            return next.size();
        }
    }

    /**
     * Adds or replaces whole products. Returns once they are searchable with every loaded version;
     * new and changed texts are embedded at background priority: queries go first.
     *
     * @throws RecopsException.InvalidInput when an id appears twice
     * @throws RecopsException.Failure when embedding or the journal fails: then nothing changed
     */
    public Result upsert(List<Product> products) {
        requireReady();
        Set<String> ids = new HashSet<>();
        for (Product p : products) {
            if (!ids.add(p.productId())) {
                throw new RecopsException.InvalidInput("duplicate_product", "product_id " + p.productId() + " appears twice in one upsert");
            }
        }
        Catalog before = registry.current().catalog().catalog();
        List<Product> toEmbed = products.stream().filter(p -> {
            Product old = before.product(p.productId());
            return old == null || !old.embeddingText().equals(p.embeddingText());
        }).toList();
        Map<String, Map<String, float[]>> embedded = embed(toEmbed);
        synchronized (changes) {
            Catalog cur = registry.current().catalog().catalog();
            List<Product> changed = products.stream().filter(p -> !p.equals(cur.product(p.productId()))).toList();
            if (!changed.isEmpty()) {
                apply("upsert", cur, new CatalogJournal.Change.Upsert(changed), embedded);
            }
            int texts = embedded.values().stream().mapToInt(Map::size).sum();
            return new Result("upsert", products.size(), changed.size(), texts, List.of(), registry.current().catalog().catalog().size());
        }
    }

    /** Removes products by id, at once; ids the catalog does not have are reported, not an error. */
    public Result delete(List<String> productIds) {
        requireReady();
        synchronized (changes) {
            Catalog cur = registry.current().catalog().catalog();
            Set<String> present = new LinkedHashSet<>();
            List<String> missing = new ArrayList<>();
            for (String id : productIds) {
                if (cur.product(id) != null) {
                    present.add(id);
                } else {
                    missing.add(id);
                }
            }
            if (!present.isEmpty()) {
                if (present.size() == cur.size()) {
                    throw new RecopsException.Conflict("catalog_emptied", "a delete may not remove every product of the catalog");
                }
                apply("delete", cur, new CatalogJournal.Change.Delete(List.copyOf(present)), Map.of());
            }
            return new Result("delete", productIds.size(), present.size(), 0, missing, registry.current().catalog().catalog().size());
        }
    }

    /**
     * Changes attributes that need no embedding (price, stock, colour, others), at once.
     *
     * @throws RecopsException.NotFound naming the ids the catalog does not have: then nothing changed
     */
    public Result patch(List<ProductPatch> patches) {
        requireReady();
        synchronized (changes) {
            Catalog cur = registry.current().catalog().catalog();
            List<String> missing = patches.stream().map(ProductPatch::productId).filter(id -> cur.product(id) == null).toList();
            if (!missing.isEmpty()) {
                throw new RecopsException.NotFound("unknown_product", "no product " + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                        + (missing.size() > 5 ? " (and " + (missing.size() - 5) + " more)" : "") + " to patch; nothing was changed");
            }
            Map<String, Product> patched = new LinkedHashMap<>();
            for (ProductPatch p : patches) {
                patched.put(p.productId(), p.apply(patched.getOrDefault(p.productId(), cur.product(p.productId()))));
            }
            List<Product> changed = patched.values().stream().filter(p -> !p.equals(cur.product(p.productId()))).toList();
            if (!changed.isEmpty()) {
                apply("patch", cur, new CatalogJournal.Change.Upsert(changed), Map.of());
            }
            return new Result("patch", patches.size(), changed.size(), 0, List.of(), registry.current().catalog().catalog().size());
        }
    }

    /**
     * Journals a change (synced before it is served), swaps in the catalog it makes for every
     * version at once, and compacts the journal when due. Called holding {@link #changes}.
     *
     * @param embedded the vectors of new texts by version name, then by text (none for deletes and patches)
     */
    private void apply(String op, Catalog cur, CatalogJournal.Change change, Map<String, Map<String, float[]>> embedded) {
        journal.ifPresent(j -> j.append(change));
        Catalog next = switch (change) {
            case CatalogJournal.Change.Upsert u -> cur.withProducts(u.products(), List.of());
            case CatalogJournal.Change.Delete d -> cur.withProducts(List.of(), d.productIds());
        };
        swap(next, (v, cat) -> updatedIndex(v, cat, embedded.getOrDefault(v.name(), Map.of())));
        compact(next);
        metrics.catalogUpdated(op, switch (change) {
            case CatalogJournal.Change.Upsert u -> u.products().size();
            case CatalogJournal.Change.Delete d -> d.productIds().size();
        });
    }

    /** The catalog served, its journal and the products waiting to be embedded. */
    public Status status() {
        VersionRegistry.CatalogState c = registry.current().catalog();
        return new Status(c == null ? 0 : c.catalog().size(), journal.map(CatalogJournal::status), backlog.get());
    }

    void close() {
        journal.ifPresent(CatalogJournal::close);
    }

    /** How a version gets its index for the next catalog. */
    private interface Indexer {
        CatalogIndex index(ServedVersion v, Catalog next);
    }

    /**
     * The state serving {@code catalog}: its in-memory lexical index built now when the versions
     * will search it exactly, else only if ever asked for (an HNSW index holds its own).
     */
    private void requireReady() {
        if (registry.current().primary().isEmpty()) {
            throw new RecopsException.Unavailable("not_ready", "the service is still loading");
        }
    }

    private VersionRegistry.CatalogState state(Catalog catalog) {
        var state = new VersionRegistry.CatalogState(catalog, LexicalIndex.lazily(catalog));
        if (!loader.hnswFor(catalog.size())) {
            state.lexical();
        }
        return state;
    }

    /**
     * Serves {@code next} with every loaded version's index for it at once (versions published
     * meanwhile get theirs too), and the lexical index.
     */
    private void swap(Catalog next, Indexer indexer) {
        VersionRegistry.CatalogState state = state(next);
        Map<String, CatalogIndex> indexes = new HashMap<>();
        Map<String, CatalogIndex> before = new HashMap<>();
        registry.current().versions().forEach((name, v) -> before.put(name, v.index()));
        do {
            for (ServedVersion v : registry.current().versions().values()) {
                if (!indexes.containsKey(v.name())) {
                    try (ServedVersion.Lease lease = v.lease()) { // never embed with a version being freed
                        if (lease != null) {
                            indexes.put(v.name(), indexer.index(v, next));
                        }
                    }
                }
            }
        } while (!registry.swapCatalog(state, indexes) && !closed.getAsBoolean());
        metrics.catalogSize(next.size());
        before.forEach((name, old) -> retireLater(old, indexes.get(name)));
    }

    /**
     * Frees what an index replaced by a swap holds, once no request can still be using it (the
     * longest deadline has passed): its reader when its successor carries its HNSW index on, the
     * whole HNSW index when the successor has another one (a reload).
     */
    private static void retireLater(CatalogIndex old, CatalogIndex successor) {
        if (old.hnsw().isEmpty() || old == successor) {
            return;
        }
        boolean sameIndex = successor != null && successor.hnsw().map(HnswIndex::dir).equals(old.hnsw().map(HnswIndex::dir));
        RETIRE.schedule(() -> {
            try {
                if (sameIndex) {
                    old.release();
                } else {
                    old.close();
                }
            } catch (RuntimeException e) {
                Logger.getLogger(LiveCatalog.class.getName()).fine("freeing an old index: " + e);
            }
        }, RETIRE_AFTER.toSeconds(), TimeUnit.SECONDS);
    }

    /** The version's index moved to {@code next} with the vectors embedded for the update; rebuilt (from the cache) if they do not fit. */
    private CatalogIndex updatedIndex(ServedVersion v, Catalog next, Map<String, float[]> vectors) {
        try {
            return v.index().updated(next, v.version(), vectors);
        } catch (IllegalArgumentException e) { // a version published after the embedding started
            return loader.index(v.encoder(), next);
        }
    }

    private void compact(Catalog served) {
        journal.ifPresent(j -> j.compactIfDue(served));
    }

    /**
     * Embeds the products' texts with every loaded version at background priority, the versions
     * in parallel, and adds them to the embedding cache.
     *
     * @return by version name, vectors by text
     */
    private Map<String, Map<String, float[]>> embed(List<Product> products) {
        if (products.isEmpty()) {
            return Map.of();
        }
        Map<String, Map<String, float[]>> out = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> perVersion = new ArrayList<>();
        for (ServedVersion v : registry.current().versions().values()) {
            perVersion.add(CompletableFuture.runAsync(() -> out.put(v.name(), embed(v, products)),
                    r -> Thread.ofVirtual().name("recops-update-" + v.name()).start(r)));
        }
        try {
            CompletableFuture.allOf(perVersion.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            throw interrupted();
        } catch (ExecutionException e) {
            throw failed(e, "embedding the updated products failed");
        }
        return out;
    }

    private Map<String, float[]> embed(ServedVersion v, List<Product> products) {
        List<String> texts = products.stream().map(p -> CatalogIndex.text(v.version(), p)).distinct().toList();
        Map<String, float[]> vectors = new HashMap<>(texts.size());
        add(texts.size());
        try {
            for (int from = 0; from < texts.size(); from += EMBED_CHUNK) {
                List<String> chunk = texts.subList(from, Math.min(texts.size(), from + EMBED_CHUNK));
                try (ServedVersion.Lease lease = v.lease()) {
                    if (lease == null) {
                        return Map.of(); // unloaded meanwhile: it will not serve the next catalog
                    }
                    List<CompletableFuture<Batcher.Result>> futures = new ArrayList<>(chunk.size());
                    for (String text : chunk) {
                        futures.add(v.batcher().submitBackground(v.encoder().tokenizeOne(text)));
                    }
                    for (int i = 0; i < chunk.size(); i++) {
                        vectors.put(chunk.get(i), futures.get(i).get().vector());
                        add(-1);
                    }
                }
            }
        } catch (InterruptedException e) {
            throw interrupted();
        } catch (ExecutionException e) {
            throw failed(e, v.version().id() + " failed to embed the updated products");
        } finally {
            add(-(texts.size() - vectors.size()));
        }
        CatalogIndex.remember(options.cacheDir().map(EmbeddingCache::new), v.version(), v.encoder().dimension(), vectors);
        return vectors;
    }

    private static RecopsException interrupted() {
        Thread.currentThread().interrupt();
        return new RecopsException.Unavailable("interrupted", "the update was interrupted; nothing was changed");
    }

    /** The embedding's own failure when it is one of ours, else a failure naming what failed. */
    private static RecopsException failed(ExecutionException e, String what) {
        return e.getCause() instanceof RecopsException re ? re
                : new RecopsException.Failure("embedding_failed", what + "; nothing was changed: " + e.getCause(), e.getCause());
    }

    private void add(long delta) {
        backlog.addAndGet(delta);
        metrics.embeddingBacklog(delta);
    }
}
