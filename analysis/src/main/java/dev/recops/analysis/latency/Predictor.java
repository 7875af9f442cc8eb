package dev.recops.analysis.latency;

import java.io.Serializable;

/** A fitted model of one {@link Target}: milliseconds for a percentile, requests per second for max throughput. */
interface Predictor extends Serializable {
    double predict(Query q);

    /**
     * The part of this prediction's uncertainty the model itself knows, as a standard deviation
     * of its log (the simulation's spread over seeds); 0 for a regression, whose uncertainty is
     * only its cross-validated error.
     */
    default double spread(Query q) {
        return 0;
    }
}
