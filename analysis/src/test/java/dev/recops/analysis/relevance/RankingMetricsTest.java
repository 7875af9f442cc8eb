package dev.recops.analysis.relevance;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RankingMetricsTest {
    private static final Map<String, Double> GAINS = Map.of("a", 3.0, "b", 3.0, "x", 0.0);

    @Test
    void perfectRankingScoresOne() {
        assertThat(RankingMetrics.ndcg(List.of("a", "b", "c"), GAINS, 10)).isEqualTo(1.0);
        assertThat(RankingMetrics.recall(List.of("b", "a"), GAINS, 10)).isEqualTo(1.0);
        assertThat(RankingMetrics.reciprocalRank(List.of("a"), GAINS, 10)).isEqualTo(1.0);
    }

    @Test
    void ndcgDiscountsRelevantProductsFoundLater() {
        // DCG = 3/log2(3) + 3/log2(4); IDCG = 3/log2(2) + 3/log2(3)
        double expected = (3 / log2(3) + 3 / log2(4)) / (3 + 3 / log2(3));
        assertThat(RankingMetrics.ndcg(List.of("x", "a", "b"), GAINS, 10)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void onlyTheFirstKCount() {
        assertThat(RankingMetrics.ndcg(List.of("x", "c", "a"), GAINS, 2)).isZero();
        assertThat(RankingMetrics.recall(List.of("a", "x", "b"), GAINS, 2)).isEqualTo(0.5);
        assertThat(RankingMetrics.reciprocalRank(List.of("x", "c", "b"), GAINS, 3)).isCloseTo(1 / 3.0, within(1e-12));
    }

    @Test
    void queryWithoutRelevantProductsScoresZero() {
        assertThat(RankingMetrics.ndcg(List.of("a"), Map.of("a", 0.0), 10)).isZero();
        assertThat(RankingMetrics.recall(List.of("a"), Map.of(), 10)).isZero();
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
