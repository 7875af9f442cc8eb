package dev.recops.engine.serve;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.recops.engine.model.TokenizedText;
import dev.recops.engine.telemetry.ServerMetrics;

import java.util.Arrays;

/**
 * The query vectors one model version computed, so that a repeated query (a store's head
 * queries: "iphone case", "sofa") skips the queue and the model. Caffeine, W-TinyLFU admission,
 * bounded by an estimate of the bytes held.
 *
 * <p>Keyed by the query's token ids: what the model sees, so two texts the tokenizer makes equal
 * (spacing, and case for an uncased model) share an entry, and texts it tells apart never do.
 * One cache per loaded version: a reloaded version starts empty, and another version (with other
 * weights or vocabulary) never reads this one's vectors.
 *
 * <p>Thread-safe.
 */
final class QueryCache {
    /** What the JVM spends per entry beyond the arrays: the node, the key and value objects, headers. */
    static final int ENTRY_OVERHEAD_BYTES = 96;

    /** A query's vector and its length in tokens. */
    record Entry(float[] vector, int tokens) {}

    private record Key(long[] ids, int hash) {
        static Key of(TokenizedText t) {
            return new Key(t.inputIds(), Arrays.hashCode(t.inputIds()));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.ids, ids);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final Cache<Key, Entry> cache;
    private final ServerMetrics.QueryCacheObserver listener;

    /**
     * @param maxBytes the estimated size held at most; 0 turns the cache off
     * @param listener told of every lookup and every entry evicted for room, on request threads
     */
    QueryCache(long maxBytes, ServerMetrics.QueryCacheObserver listener) {
        this.listener = listener;
        this.cache = maxBytes <= 0 ? null : Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Key k, Entry e) -> ENTRY_OVERHEAD_BYTES + 8 * k.ids.length + 4 * e.vector().length)
                .executor(Runnable::run) // evict on the caller's thread: no pool, and tests see a settled cache
                .removalListener((Key k, Entry e, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        listener.evicted();
                    }
                })
                .build();
    }

    boolean enabled() {
        return cache != null;
    }

    /** The cached vector of this query, or null. Counts a hit or a miss. */
    Entry get(TokenizedText query) {
        if (cache == null) {
            return null;
        }
        Entry e = cache.getIfPresent(Key.of(query));
        listener.lookup(e != null);
        return e;
    }

    void put(TokenizedText query, float[] vector) {
        if (cache != null) {
            cache.put(Key.of(query), new Entry(vector, query.length()));
        }
    }

    /** Entries held now. */
    long size() {
        return cache == null ? 0 : cache.estimatedSize();
    }
}
