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
            case BATCH_MAX -> config.batchMax();
            case BATCH_DELAY_MS -> config.batchDelayMillis();
            case WORKERS -> config.workers();
            case THREADS -> config.threads();
            case QUERY_TOKENS -> queryTokens;
        };
    }

    /** A copy with one feature replaced (for permutation importance). */
    Query with(Feature f, double v) {
        Config c = config;
        return switch (f) {
            case RATE -> new Query(c, v, queryTokens);
            case BATCH_MAX -> new Query(new Config(c.model(), c.version(), (int) v, c.batchDelayMillis(), c.workers(), c.threads()), rate, queryTokens);
            case BATCH_DELAY_MS -> new Query(new Config(c.model(), c.version(), c.batchMax(), v, c.workers(), c.threads()), rate, queryTokens);
            case WORKERS -> new Query(new Config(c.model(), c.version(), c.batchMax(), c.batchDelayMillis(), (int) v, c.threads()), rate, queryTokens);
            case THREADS -> new Query(new Config(c.model(), c.version(), c.batchMax(), c.batchDelayMillis(), c.workers(), (int) v), rate, queryTokens);
            case QUERY_TOKENS -> new Query(c, rate, v);
        };
    }
}
