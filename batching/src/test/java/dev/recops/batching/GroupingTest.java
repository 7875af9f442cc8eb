package dev.recops.batching;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GroupingTest {

    @Test
    void similarLengthsShareOneCall() {
        assertThat(Grouping.split(new int[] {5, 5, 6, 6, 7, 7, 8}, 16, 0)).containsExactly(7);
    }

    @Test
    void aFewLongTextsGetTheirOwnCallWhenPaddingTheShortOnesWouldCostMore() {
        // One call: 16 + 10 * 40 = 416. Split after the eight short ones: 16 + 8 * 6 + 16 + 2 * 40 = 160.
        assertThat(Grouping.split(new int[] {4, 4, 5, 5, 5, 6, 6, 6, 38, 40}, 16, 0)).containsExactly(8, 10);
    }

    @Test
    void aHighFixedCostKeepsEverythingTogetherAndAZeroFixedCostSplitsEveryLength() {
        int[] lengths = {4, 6, 9, 12};
        assertThat(Grouping.split(lengths, 1_000, 0)).containsExactly(4);
        assertThat(Grouping.split(lengths, 0, 0)).containsExactly(1, 2, 3, 4);
    }

    @Test
    void theSplitIsTheCheapestOfAllContiguousSplits() {
        int[] lengths = {3, 4, 4, 7, 8, 8, 9, 15, 16, 30, 31, 64};
        double fixed = 12;
        double chosen = cost(lengths, Grouping.split(lengths, fixed, 0).stream().mapToInt(Integer::intValue).toArray(), fixed);
        // Every subset of the 11 possible cut points.
        for (int m = 0; m < 1 << (lengths.length - 1); m++) {
            int mask = m;
            int[] ends = java.util.stream.IntStream.rangeClosed(1, lengths.length)
                    .filter(e -> e == lengths.length || (mask & (1 << (e - 1))) != 0).toArray();
            assertThat(chosen).isLessThanOrEqualTo(cost(lengths, ends, fixed) + 1e-9);
        }
    }

    @Test
    void aTokenBudgetCapsEveryCallAndALongerTextRunsAlone() {
        int[] lengths = {4, 4, 5, 5, 5, 6, 6, 6, 38, 40, 300};
        java.util.List<Integer> ends = Grouping.split(lengths, 1_000, 64); // a high fixed cost would put everything in one call
        int from = 0;
        for (int end : ends) {
            assertThat(end - from == 1 || (end - from) * lengths[end - 1] <= 64).as("call %d..%d", from, end).isTrue();
            from = end;
        }
        assertThat(ends).containsExactly(8, 9, 10, 11);
        // within the budget, the cheapest split still wins
        assertThat(Grouping.split(new int[] {5, 5, 6, 6, 7, 7, 8}, 16, 1_000)).containsExactly(7);
    }

    @Test
    void theBudgetedSplitIsTheCheapestOfAllContiguousSplitsWithinIt() {
        int[] lengths = {3, 4, 4, 7, 8, 8, 9, 15, 16, 30, 31, 64};
        double fixed = 12;
        int budget = 48;
        double chosen = cost(lengths, Grouping.split(lengths, fixed, budget).stream().mapToInt(Integer::intValue).toArray(), fixed);
        for (int m = 0; m < 1 << (lengths.length - 1); m++) {
            int mask = m;
            int[] ends = java.util.stream.IntStream.rangeClosed(1, lengths.length)
                    .filter(e -> e == lengths.length || (mask & (1 << (e - 1))) != 0).toArray();
            boolean fits = true;
            int from = 0;
            for (int end : ends) {
                fits &= end - from == 1 || (end - from) * lengths[end - 1] <= budget;
                from = end;
            }
            if (fits) {
                assertThat(chosen).isLessThanOrEqualTo(cost(lengths, ends, fixed) + 1e-9);
            }
        }
    }

    private static double cost(int[] lengths, int[] ends, double fixed) {
        double total = 0;
        int from = 0;
        for (int end : ends) {
            total += fixed + (double) (end - from) * lengths[end - 1];
            from = end;
        }
        return total;
    }
}
