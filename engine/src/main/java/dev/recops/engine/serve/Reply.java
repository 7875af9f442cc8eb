package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an endpoint produced: a status, a JSON body, the model version that answered, and what
 * the access log records about it.
 */
record Reply(int status, ObjectNode body, String model, String version, Queries.Timings timings,
        int k, int queryTokens, int results, String degradedReason, String error) {
    static final Queries.Timings NO_TIMINGS = new Queries.Timings(0, 0, 0, 0);

    static Reply plain(int status, ObjectNode body) {
        return new Reply(status, body, "", "", NO_TIMINGS, 0, 0, 0, "", "");
    }

    /** Answered by the fallback, not the model ({@link #degradedReason} says why). */
    boolean degraded() {
        return !degradedReason.isEmpty();
    }
}
