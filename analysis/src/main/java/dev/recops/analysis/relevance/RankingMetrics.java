package dev.recops.analysis.relevance;

import java.util.List;
import java.util.Map;

/**
 * Ranking quality of one result list against graded judgments. Unjudged products count as gain 0.
 * All metrics are in [0, 1]; 1 is a perfect ranking.
 */
public final class RankingMetrics {
    private RankingMetrics() {}

    /**
     * Normalised discounted cumulative gain at {@code k}, with the linear gain form
     * {@code gain / log2(rank + 1)}. 0 when nothing is relevant.
     */
    public static double ndcg(List<String> ranked, Map<String, Double> gains, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            dcg += gains.getOrDefault(ranked.get(i), 0.0) / log2(i + 2);
        }
        List<Double> ideal = gains.values().stream().filter(g -> g > 0).sorted((a, b) -> Double.compare(b, a)).toList();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Share of the relevant products found in the first {@code k}. */
    public static double recall(List<String> ranked, Map<String, Double> gains, int k) {
        long relevant = gains.values().stream().filter(g -> g > 0).count();
        if (relevant == 0) {
            return 0;
        }
        long found = ranked.stream().limit(k).filter(id -> gains.getOrDefault(id, 0.0) > 0).count();
        return (double) found / relevant;
    }

    /** Reciprocal rank of the first relevant product within the first {@code k}, else 0. */
    public static double reciprocalRank(List<String> ranked, Map<String, Double> gains, int k) {
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            if (gains.getOrDefault(ranked.get(i), 0.0) > 0) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
