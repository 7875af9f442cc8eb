package dev.recops.analysis.latency;

import java.io.Serializable;

/** A fitted model of one {@link Target}: milliseconds for a percentile, requests per second for max throughput. */
interface Predictor extends Serializable {
    double predict(Query q);
}
