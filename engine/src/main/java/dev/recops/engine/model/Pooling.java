package dev.recops.engine.model;

import java.util.Locale;

/** How token vectors become one text vector. */
public enum Pooling {
    /** Attention-mask-weighted mean over the tokens (sentence-transformers style). */
    MEAN,
    /** The vector of the first ([CLS]) token (BGE style). */
    CLS;

    static Pooling parse(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "mean" -> MEAN;
            case "cls" -> CLS;
            default -> throw new IllegalArgumentException("pooling must be \"mean\" or \"cls\", not \"" + value + "\"");
        };
    }
}
