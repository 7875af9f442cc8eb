package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
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

    /** A search or recommend answer in {@code out} (an empty object). */
    static Reply ranked(ObjectNode out, String requestId, Queries.Ranked r, int k) {
        out.put("request_id", requestId);
        model(out, r.model(), r.version());
        ArrayNode results = out.putArray("results");
        for (Queries.Result hit : r.results()) {
            results.addObject().put("product_id", hit.productId()).put("score", hit.score()).put("title", hit.title());
        }
        out.put("degraded", r.degraded());
        if (r.degraded()) {
            out.put("degraded_reason", r.degradedReason());
        }
        timings(out, r.timings());
        return new Reply(200, out, r.model(), r.version(), r.timings(), k, r.queryTokens(), r.results().size(), r.degradedReason(), "");
    }

    private static void model(ObjectNode out, String name, String version) {
        out.putObject("model").put("name", name).put("version", version);
    }

    private static void timings(ObjectNode out, Queries.Timings t) {
        double queue = t.queueNanos() / 1e6;
        double encode = t.encodeNanos() / 1e6;
        double retrieve = t.retrieveNanos() / 1e6;
        out.putObject("timings_ms")
                .put("queue", round(queue))
                .put("encode", round(encode))
                .put("retrieve", round(retrieve))
                .put("total", round(queue + encode + retrieve));
        if (t.cached() != Queries.Cached.NONE) {
            out.put("cache", t.cached().label);
        }
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    /** An embed answer in {@code out} (an empty object). */
    static Reply embedded(ObjectNode out, String requestId, Queries.Embedded e) {
        out.put("request_id", requestId);
        model(out, e.model(), e.version());
        out.put("dimension", e.dimension());
        // Streamed by Jackson as it writes the body, not a node per float: the same bytes, 13% less
        // time and 23% less garbage a response (scripts/bench/EmbedJson.java).
        out.putPOJO("embeddings", e.vectors());
        timings(out, e.timings());
        return new Reply(200, out, e.model(), e.version(), e.timings(), 0, 0, e.vectors().size(), "", "");
    }
}
