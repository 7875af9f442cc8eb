package dev.recops.engine.model;

import java.util.List;

/**
 * Texts tokenized and right-padded to the longest one: the model's input for one batch.
 * Arrays are row-major {@code [size][sequenceLength]}; padding positions have mask 0.
 *
 * @param size number of texts, at least 1
 * @param sequenceLength tokens per row after padding, at least 1
 * @param inputIds token ids
 * @param attentionMask 1 for a real token, 0 for padding
 * @param tokenTypeIds segment ids (all 0 for single texts)
 */
public record TokenizedBatch(
        int size, int sequenceLength, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {

    /** Right-pads texts to the longest of them. */
    public static TokenizedBatch pad(List<TokenizedText> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int size = texts.size();
        int seq = texts.stream().mapToInt(TokenizedText::length).max().orElseThrow();
        long[] ids = new long[size * seq];
        long[] mask = new long[size * seq];
        long[] types = new long[size * seq];
        for (int i = 0; i < size; i++) {
            TokenizedText t = texts.get(i);
            System.arraycopy(t.inputIds(), 0, ids, i * seq, t.length());
            System.arraycopy(t.attentionMask(), 0, mask, i * seq, t.length());
            System.arraycopy(t.tokenTypeIds(), 0, types, i * seq, t.length());
        }
        return new TokenizedBatch(size, seq, ids, mask, types);
    }

    public TokenizedBatch {
        if (size < 1 || sequenceLength < 1) {
            throw new IllegalArgumentException("empty batch");
        }
        int cells = size * sequenceLength;
        if (inputIds.length != cells || attentionMask.length != cells || tokenTypeIds.length != cells) {
            throw new IllegalArgumentException("arrays do not match " + size + " x " + sequenceLength);
        }
    }
}
