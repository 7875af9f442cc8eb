package dev.recops.engine.catalog;

import java.util.Locale;
import java.util.Objects;

/**
 * Which vector index a catalog gets: the exact scan, HNSW, or {@code auto} (exact below
 * {@link #AUTO_THRESHOLD} products, where the scan is about as fast (0.8 against 0.7 ms at 5,000
 * products, 1.8 against 0.6 ms at 10,000: docs/performance.md) and needs no build and no
 * recall loss, HNSW from there up).
 */
public record IndexChoice(Kind kind, HnswIndex.Params params) {
    /** Products from which {@code auto} builds an HNSW index. */
    public static final int AUTO_THRESHOLD = 5_000;
    public static final IndexChoice AUTO = new IndexChoice(Kind.AUTO, HnswIndex.Params.DEFAULT);

    public enum Kind { EXACT, HNSW, AUTO }

    public IndexChoice {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(params, "params");
    }

    /** {@code exact}, {@code hnsw} or {@code auto}. */
    public static Kind kindOf(String name) {
        try {
            return Kind.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the index is exact, hnsw or auto, not \"" + name + "\"");
        }
    }

    /** Whether a catalog of {@code products} is searched through HNSW. */
    public boolean hnswFor(int products) {
        return kind == Kind.HNSW || kind == Kind.AUTO && products >= AUTO_THRESHOLD;
    }
}
