package dev.recops.engine.catalog;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hybrid retrieval: one ranking from a vector ranking and a BM25 ranking. Products are matched by
 * id, never by row: the two rankings may come from catalogs a live update apart.
 * Reciprocal rank fusion ({@link #rrf}) uses ranks only, so the two scores' scales never meet;
 * the weighted fusion ({@link #weighted}) min-max normalises each list's scores and mixes them.
 * Published product-search results warn that naive fusion can lose to BM25 alone on ESCI: both
 * are measured in docs/performance.md, not assumed.
 */
public final class Fusion {
    /** The RRF constant of Cormack et al. (2009): ranks past the first few count for little. */
    static final int RRF_K = 60;
    /** The vector ranking's weight in {@link #weighted}: even, the scales being normalised. */
    static final double VECTOR_WEIGHT = 0.5;

    /** A fused result, best first. */
    public record Hit(Product product, float score) {}

    private Fusion() {}

    /** How many candidates each ranking contributes for {@code k} results. */
    public static int depth(int k) {
        return Math.max(50, 5 * k);
    }

    /** {@code score = sum over the rankings of 1 / (60 + rank)}, rank from 1. */
    public static List<Hit> rrf(List<CatalogIndex.Hit> vector, List<LexicalIndex.Hit> lexical, int k) {
        Map<String, Double> score = new HashMap<>();
        Map<String, Product> products = new LinkedHashMap<>();
        for (int i = 0; i < vector.size(); i++) {
            CatalogIndex.Hit h = vector.get(i);
            score.merge(h.product().productId(), 1.0 / (RRF_K + i + 1), Double::sum);
            products.putIfAbsent(h.product().productId(), h.product());
        }
        for (int i = 0; i < lexical.size(); i++) {
            LexicalIndex.Hit h = lexical.get(i);
            score.merge(h.product().productId(), 1.0 / (RRF_K + i + 1), Double::sum);
            products.putIfAbsent(h.product().productId(), h.product());
        }
        return top(score, products, k);
    }

    /**
     * {@code score = w * vector' + (1 - w) * bm25'} with w = {@value #VECTOR_WEIGHT}, each min-max
     * normalised over its own list; a product missing from a list scores 0 there.
     */
    public static List<Hit> weighted(List<CatalogIndex.Hit> vector, List<LexicalIndex.Hit> lexical, int k) {
        double vectorWeight = VECTOR_WEIGHT;
        Map<String, Double> score = new HashMap<>();
        Map<String, Product> products = new LinkedHashMap<>();
        double[] v = normalised(vector.stream().mapToDouble(CatalogIndex.Hit::score).toArray());
        double[] l = normalised(lexical.stream().mapToDouble(LexicalIndex.Hit::score).toArray());
        for (int i = 0; i < vector.size(); i++) {
            score.merge(vector.get(i).product().productId(), vectorWeight * v[i], Double::sum);
            products.putIfAbsent(vector.get(i).product().productId(), vector.get(i).product());
        }
        for (int i = 0; i < lexical.size(); i++) {
            score.merge(lexical.get(i).product().productId(), (1 - vectorWeight) * l[i], Double::sum);
            products.putIfAbsent(lexical.get(i).product().productId(), lexical.get(i).product());
        }
        return top(score, products, k);
    }

    private static double[] normalised(double[] x) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double d : x) {
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = max > min ? (x[i] - min) / (max - min) : 1;
        }
        return out;
    }

    /** The {@code k} best by score; ties keep the order products were first seen (vector first). */
    private static List<Hit> top(Map<String, Double> score, Map<String, Product> products, int k) {
        List<Hit> all = new ArrayList<>(products.size());
        products.forEach((id, p) -> all.add(new Hit(p, (float) (double) score.get(id))));
        all.sort(Comparator.comparingDouble((Hit h) -> h.score()).reversed());
        return all.size() > k ? List.copyOf(all.subList(0, k)) : List.copyOf(all);
    }
}
