package dev.recops.engine.serve;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** The validated queries {@link SearchService} answers, and what it answers with. */
public final class Queries {
    private Queries() {}

    /** Results per request: 1..{@value}. */
    public static final int MAX_K = 100;

    /**
     * Which version answers: a named one, or, when {@code version} is empty, the traffic policy's
     * choice (the primary, or the canary for its share of routing keys).
     *
     * @param routingKey keeps a caller on the same side of a canary split (for example a session
     *     id); empty for a random side per request
     */
    public record Target(String version, String routingKey) {
        public static final Target PRIMARY = new Target("");

        public Target {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(routingKey, "routingKey");
        }

        public Target(String version) {
            this(version, "");
        }

        public Target withRoutingKey(String key) {
            return new Target(version, key);
        }
    }

    /**
     * Product filters, all of which must hold: exact matches on attributes (brand, color or any
     * other catalog column; case ignored), a price range, and stock. Applied inside retrieval:
     * the {@code k} results are the best of the products that match, never fewer because the best
     * overall did not.
     *
     * @param equal attribute name to the value it must have (lower case)
     * @param minPrice lowest price, inclusive (0 for none)
     * @param maxPrice highest price, inclusive (infinity for none); a price filter excludes products without a price
     * @param stock whether a product must be in stock, out of it, or either
     */
    public record Filters(java.util.Map<String, String> equal, double minPrice, double maxPrice, Stock stock) {
        public static final Filters NONE = new Filters(java.util.Map.of(), 0, Double.POSITIVE_INFINITY, Stock.ANY);

        public enum Stock { ANY, IN_STOCK, OUT_OF_STOCK }

        public Filters {
            java.util.Map<String, String> lowered = new java.util.TreeMap<>();
            equal.forEach((k, v) -> lowered.put(k, v.strip().toLowerCase(Locale.ROOT)));
            equal = java.util.Collections.unmodifiableMap(lowered);
            if (!(minPrice >= 0) || !(maxPrice >= minPrice)) {
                throw new IllegalArgumentException("the price range must have 0 <= min <= max");
            }
            Objects.requireNonNull(stock, "stock");
        }

        /** The attribute names this filter uses, to check against the catalog's. */
        public java.util.Set<String> names() {
            java.util.Set<String> names = new java.util.TreeSet<>(equal.keySet());
            if (minPrice > 0 || maxPrice < Double.POSITIVE_INFINITY) {
                names.add("price");
            }
            if (stock != Stock.ANY) {
                names.add("in_stock");
            }
            return names;
        }

        boolean matches(dev.recops.engine.catalog.Product p) {
            for (java.util.Map.Entry<String, String> e : equal.entrySet()) {
                if (!e.getValue().equals(p.attribute(e.getKey()).toLowerCase(Locale.ROOT))) {
                    return false;
                }
            }
            if ((minPrice > 0 || maxPrice < Double.POSITIVE_INFINITY) && !(p.price() >= minPrice && p.price() <= maxPrice)) {
                return false;
            }
            return stock == Stock.ANY || p.inStock() == (stock == Stock.IN_STOCK);
        }
    }

    /**
     * How a search retrieves: the vector index, BM25 over titles and brands, or both fused by
     * reciprocal rank ({@code hybrid}) or by weighted normalised scores ({@code hybrid-weighted});
     * {@code DEFAULT} is the server's {@code --search-mode}.
     */
    public enum Mode {
        DEFAULT("default"), VECTOR("vector"), LEXICAL("lexical"), HYBRID("hybrid"), HYBRID_WEIGHTED("hybrid-weighted");

        public final String label;

        Mode(String label) {
            this.label = label;
        }

        /**
         * One ranking of at most {@code k} from the vector ranking and the BM25 ranking of the same
         * candidates (each {@link dev.recops.engine.catalog.Fusion#depth} long for a fusion): the
         * one this mode uses, or both fused. Serve and {@code model verify} rank through this.
         */
        public List<dev.recops.engine.catalog.Fusion.Hit> rank(List<dev.recops.engine.catalog.CatalogIndex.Hit> byVector,
                List<dev.recops.engine.catalog.LexicalIndex.Hit> byWords, int k) {
            return switch (this) {
                case VECTOR -> byVector.stream().limit(k).map(h -> new dev.recops.engine.catalog.Fusion.Hit(h.product(), h.score())).toList();
                case LEXICAL -> byWords.stream().limit(k).map(h -> new dev.recops.engine.catalog.Fusion.Hit(h.product(), h.score())).toList();
                case HYBRID -> dev.recops.engine.catalog.Fusion.rrf(byVector, byWords, k);
                case HYBRID_WEIGHTED -> dev.recops.engine.catalog.Fusion.weighted(byVector, byWords, k);
                case DEFAULT -> throw new IllegalStateException("the default mode stands for the server's; resolve it first");
            };
        }

        /** The mode named {@code label}; {@link IllegalArgumentException} names the ones there are. */
        public static Mode of(String label) {
            for (Mode m : values()) {
                if (m.label.equals(label) && m != DEFAULT) {
                    return m;
                }
            }
            throw new IllegalArgumentException("the search mode must be vector, lexical, hybrid or hybrid-weighted, not " + label);
        }
    }

    public record Search(String query, int k, Filters filters, Target target, Mode mode) {
        public Search {
            if (Objects.requireNonNull(query, "query").isBlank()) {
                throw new IllegalArgumentException("query is empty");
            }
            checkK(k);
            Objects.requireNonNull(filters, "filters");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(mode, "mode");
        }

        /** A search in the server's default mode. */
        public Search(String query, int k, Filters filters, Target target) {
            this(query, k, filters, target, Mode.DEFAULT);
        }
    }

    public record Recommend(List<String> recentProductIds, int k, Target target) {
        public Recommend {
            recentProductIds = List.copyOf(recentProductIds);
            if (recentProductIds.isEmpty()) {
                throw new IllegalArgumentException("recent_product_ids is empty");
            }
            checkK(k);
            Objects.requireNonNull(target, "target");
        }
    }

    public record Embed(List<String> texts, Target target) {
        public Embed {
            texts = List.copyOf(texts);
            if (texts.isEmpty()) {
                throw new IllegalArgumentException("texts is empty");
            }
            Objects.requireNonNull(target, "target");
        }
    }

    private static void checkK(int k) {
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k must be in 1.." + MAX_K + ", not " + k);
        }
    }

    /**
     * Where the time of one request went, in nanoseconds, and the size of the model batch it rode
     * in (0 when no model ran).
     */
    public record Timings(long queueNanos, long encodeNanos, long retrieveNanos, int batchSize) {}

    /** One result row. */
    public record Result(String productId, float score, String title) {
        static Result of(dev.recops.engine.catalog.Product p, float score) {
            return new Result(p.productId(), score, p.title());
        }
    }

    /**
     * The answer to a search or a recommendation.
     *
     * @param degradedReason why the model was bypassed ({@code timeout}, {@code model_error},
     *     {@code breaker_open}) and the lexical fallback answered; empty when the model answered
     */
    public record Ranked(String model, String version, List<Result> results, int queryTokens, Timings timings, String degradedReason) {
        public Ranked {
            results = List.copyOf(results);
            Objects.requireNonNull(degradedReason, "degradedReason");
        }

        public boolean degraded() {
            return !degradedReason.isEmpty();
        }
    }

    /** The answer to an embed query: one vector per text, in order. */
    public record Embedded(String model, String version, int dimension, List<float[]> vectors, Timings timings) {
        public Embedded {
            vectors = List.copyOf(vectors);
        }
    }
}
