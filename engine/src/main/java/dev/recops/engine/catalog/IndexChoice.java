package dev.recops.engine.catalog;

import java.util.Locale;
import java.util.Objects;

/**
 * Which vector index a catalog gets: the exact scan, HNSW, or {@code auto} (exact below
 * {@link #AUTO_THRESHOLD} products, where the scan is about as fast and needs no build, HNSW from
 * there up; see docs/performance.md for the measurement behind the threshold).
 */
public record IndexChoice(Kind kind, HnswIndex.Params params) {
    /** Products from which {@code auto} builds an HNSW index. */
    public static final int AUTO_THRESHOLD = 20_000;
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
