package dev.recops.engine.model;

/**
 * Texts tokenized and right-padded to the longest one: the model's input for one batch.
 * Arrays are row-major {@code [size][sequenceLength]}; padding positions have mask 0.
 *
 * @param size number of texts, at least 1
 * @param sequenceLength tokens per row after padding, at least 1
 * @param inputIds token ids
 * @param attentionMask 1 for a real token, 0 for padding
 * @param tokenTypeIds segment ids (all 0 for single texts)
 * @param tokenCounts real tokens of each text, special tokens included
 */
public record TokenizedBatch(
        int size, int sequenceLength, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int[] tokenCounts) {

    public TokenizedBatch {
        if (size < 1 || sequenceLength < 1) {
            throw new IllegalArgumentException("empty batch");
        }
        int cells = size * sequenceLength;
        if (inputIds.length != cells || attentionMask.length != cells || tokenTypeIds.length != cells
                || tokenCounts.length != size) {
            throw new IllegalArgumentException("arrays do not match " + size + " x " + sequenceLength);
        }
    }
}
