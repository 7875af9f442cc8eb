package dev.recops.engine.model;

/**
 * One text after tokenization and truncation, not yet padded.
 *
 * @param inputIds token ids, special tokens included
 * @param attentionMask 1 per token
 * @param tokenTypeIds segment ids
 */
public record TokenizedText(long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
    public TokenizedText {
        if (inputIds.length == 0 || attentionMask.length != inputIds.length || tokenTypeIds.length != inputIds.length) {
            throw new IllegalArgumentException("token arrays must be non-empty and of equal length");
        }
    }

    /** Tokens, special tokens included. */
    public int length() {
        return inputIds.length;
    }
}
