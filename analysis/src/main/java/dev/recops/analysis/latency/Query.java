package dev.recops.analysis.latency;

import java.io.Serializable;

/**
 * What a latency model is asked about: a configuration under an offered rate.
 *
 * @param rate requests per second offered to one replica
 * @param queryTokens mean tokens per query
 */
public record Query(Config config, double rate, double queryTokens) implements Serializable {

    public Query withRate(double r) {
        return new Query(config, r, queryTokens);
    }

    /** The value of a feature, by its name in {@link Feature}. */
    double feature(Feature f) {
        return switch (f) {
            case RATE -> rate;
            case QUERY_TOKENS -> queryTokens;
            default -> config.feature(f);
        };
    }

    /** A copy with one feature replaced (for permutation importance). */
    Query with(Feature f, double v) {
        return switch (f) {
            case RATE -> new Query(config, v, queryTokens);
            case QUERY_TOKENS -> new Query(config, rate, v);
            default -> new Query(config.with(f, v), rate, queryTokens);
        };
    }
}
