package dev.recops.engine.serve;

import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.Fusion;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.catalog.ProductFilter;

import java.util.List;
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
        public List<Fusion.Hit> rank(List<CatalogIndex.Hit> byVector,
                List<LexicalIndex.Hit> byWords, int k) {
            return switch (this) {
                case VECTOR -> byVector.stream().limit(k).map(h -> new Fusion.Hit(h.product(), h.score())).toList();
                case LEXICAL -> byWords.stream().limit(k).map(h -> new Fusion.Hit(h.product(), h.score())).toList();
                case HYBRID -> Fusion.rrf(byVector, byWords, k);
                case HYBRID_WEIGHTED -> Fusion.weighted(byVector, byWords, k);
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

    public record Search(String query, int k, ProductFilter filters, Target target, Mode mode) {
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
        public Search(String query, int k, ProductFilter filters, Target target) {
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

    /** What the query cache did for a request: nothing (no cache, or no query to look up), a hit, or a miss. */
    public enum Cached {
        NONE(""), HIT("hit"), MISS("miss");

        /** The access log's value; empty for none. */
        public final String label;

        Cached(String label) {
            this.label = label;
        }
    }

    /**
     * Where the time of one request went, in nanoseconds, the size of the model batch it rode in
     * (0 when no model ran), and whether its query vector came from the cache.
     */
    public record Timings(long queueNanos, long encodeNanos, long retrieveNanos, int batchSize, Cached cached) {
        public Timings {
            Objects.requireNonNull(cached, "cached");
        }

        public Timings(long queueNanos, long encodeNanos, long retrieveNanos, int batchSize) {
            this(queueNanos, encodeNanos, retrieveNanos, batchSize, Cached.NONE);
        }
    }

    /** One result row. */
    public record Result(String productId, float score, String title) {
        static Result of(Product p, float score) {
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
