package dev.recops.engine.catalog;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Which vector index a catalog gets: the exact scan, HNSW, or {@code auto} (exact below
 * {@link #AUTO_THRESHOLD} products, where the scan is about as fast (0.8 against 0.7 ms at 5,000
 * products, 1.8 against 0.6 ms at 10,000: docs/performance.md) and needs no build and no
 * recall loss, HNSW from there up).
 */
public record IndexChoice(Kind kind, OptionalInt maxConn, OptionalInt beamWidth, OptionalInt efSearch) {
    /** Products from which {@code auto} builds an HNSW index. */
    public static final int AUTO_THRESHOLD = 5_000;
    public static final IndexChoice AUTO = new IndexChoice(Kind.AUTO, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());

    public enum Kind { EXACT, HNSW, AUTO }

    /**
     * @param maxConn, beamWidth, efSearch the HNSW parameters given; each one not given is chosen by
     *     the catalog's size ({@link HnswIndex.Params#forSize})
     * @throws IllegalArgumentException when a given parameter is out of range
     */
    public IndexChoice {
        Objects.requireNonNull(kind, "kind");
        for (HnswIndex.Params bySize : new HnswIndex.Params[] {HnswIndex.Params.DEFAULT, HnswIndex.Params.LARGE_DEFAULT}) { // validates what was given
            new HnswIndex.Params(maxConn.orElse(bySize.maxConn()), beamWidth.orElse(bySize.beamWidth()), efSearch.orElse(bySize.efSearch()));
        }
    }

    /** Exactly these parameters, whatever the catalog's size. */
    public static IndexChoice of(Kind kind, HnswIndex.Params params) {
        return new IndexChoice(kind, OptionalInt.of(params.maxConn()), OptionalInt.of(params.beamWidth()), OptionalInt.of(params.efSearch()));
    }

    /** The HNSW parameters for a catalog of {@code products}: those given, the rest by size. */
    public HnswIndex.Params paramsFor(int products) {
        HnswIndex.Params bySize = HnswIndex.Params.forSize(products);
        return new HnswIndex.Params(maxConn.orElse(bySize.maxConn()), beamWidth.orElse(bySize.beamWidth()), efSearch.orElse(bySize.efSearch()));
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
