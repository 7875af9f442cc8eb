package dev.recops.batching;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a batch of texts, sorted by token length, into model calls of least total cost.
 *
 * <p>Cost model, fitted to measured calls ({@link CallCost}): a call costs a fixed amount plus a
 * cost per padded token, {@code fixed + rows * longest}. One call for everything pads short texts
 * to the longest; one call per text pays the fixed cost every time. The optimum over contiguous
 * runs of the sorted lengths is found exactly by dynamic programming in O(n²), n <= the batch size,
 * among the splits whose calls stay within a token budget ({@code rows * longest <= maxTokens};
 * a text longer than the budget is a call of its own).
 */
public final class Grouping {
    private Grouping() {}

    /**
     * @param sortedLengths token lengths in ascending order
     * @param fixedTokens the fixed cost of one model call, in padded tokens
     * @param maxTokens padded tokens per call at most; 0 for no budget
     * @return the end index (exclusive) of each group, ascending; the last is {@code sortedLengths.length}
     */
    public static List<Integer> split(int[] sortedLengths, double fixedTokens, int maxTokens) {
        int n = sortedLengths.length;
        double[] best = new double[n + 1];
        int[] start = new int[n + 1];
        for (int end = 1; end <= n; end++) {
            best[end] = Double.MAX_VALUE;
            int longest = sortedLengths[end - 1];
            // the longest first: the calls that fit the budget are the last rows before end
            int first = maxTokens <= 0 ? 0 : Math.max(0, end - Math.max(1, maxTokens / longest));
            for (int from = first; from < end; from++) {
                double cost = best[from] + fixedTokens + (double) (end - from) * longest;
                if (cost < best[end]) {
                    best[end] = cost;
                    start[end] = from;
                }
            }
        }
        List<Integer> ends = new ArrayList<>();
        for (int end = n; end > 0; end = start[end]) {
            ends.addFirst(end);
        }
        return ends;
    }
}
