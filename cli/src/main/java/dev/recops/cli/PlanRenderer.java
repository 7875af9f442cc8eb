package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.latency.CapacityPlan;
import dev.recops.analysis.latency.Config;
import dev.recops.analysis.latency.LatencyModel;
import dev.recops.analysis.latency.Target;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;

/** predict-latency's answer for people (stdout, warnings on stderr) or as one JSON document. */
final class PlanRenderer {
    private PlanRenderer() {}

    static void text(PrintWriter out, PrintWriter err, LatencyModel model, CapacityPlan.Answer a) {
        CapacityPlan.Request r = a.request();
        Config config = a.query().config();
        out.printf(Locale.ROOT, "recops predict-latency: %s, %s, %.1f tokens per query (model trained %s on data %s)%n",
                String.join(", ", model.models()), config.describe(), a.query().queryTokens(), model.trainedAt(), model.dataSha256().substring(0, 12));
        String objectives = r.objectives().toString();
        switch (r.solve()) {
            case PREDICT -> {
                out.printf(Locale.ROOT, "  at %s/s per replica%s%n", fmt(a.query().rate()),
                        r.replicas() > 1 ? " (" + fmt(r.rate()) + "/s over " + r.replicas() + " replicas)" : "");
                prediction(out, a.prediction().orElseThrow());
                a.met().forEach((o, met) -> out.printf(Locale.ROOT, "  objective  %s %s%n", o, met ? "met" : "NOT met"));
            }
            case MAX_RATE -> {
                if (a.maxRatePerReplica().isEmpty()) {
                    out.printf(Locale.ROOT, "  max rate   none: %s is not met even at the lowest rate%n", objectives);
                } else {
                    out.printf(Locale.ROOT, "  max rate   %s/s per replica within %s%s%n", fmt(a.maxRatePerReplica().getAsDouble()), objectives, margins(a));
                    a.edge().ifPresent(e -> out.printf(Locale.ROOT, "  edge       %s/s where the predictions meet the objectives; between %s and %s/s "
                            + "at the ends of their 80%% intervals%n", fmt(e), fmtOrNone(a.interval()[0]), fmtOrNone(a.interval()[1])));
                    prediction(out, a.prediction().orElseThrow());
                }
            }
            case REPLICAS -> {
                if (a.replicas().isEmpty()) {
                    out.printf(Locale.ROOT, "  replicas   none suffice: %s is not met even at the lowest rate%n", objectives);
                } else {
                    double max = a.maxRatePerReplica().getAsDouble();
                    out.printf(Locale.ROOT, "  replicas   %d for %s/s: each at %s/s, %.0f%% of its max sustainable %s/s within %s%s (headroom %.0f%%)%n",
                            a.replicas().getAsInt(), fmt(r.rate()), fmt(a.query().rate()), 100 * a.query().rate() / max, fmt(max), objectives,
                            margins(a), 100 * r.headroom());
                    prediction(out, a.prediction().orElseThrow());
                }
            }
        }
        if (r.solve() != CapacityPlan.Solve.PREDICT) {
            out.println("  assumes    " + assumptions(model, a));
        }
        a.warnings().forEach(w -> err.println("recops: warning: " + w));
        out.flush();
        err.flush();
    }

    /** What a plan holds only under: the arrivals, the queries, the CPUs, the catalog. */
    static String assumptions(LatencyModel model, CapacityPlan.Answer a) {
        Config c = a.query().config();
        int cpus = c.cpus() > 0 ? c.cpus() : model.simulation().map(LatencyModel.SimulationFacts::profileCpus).orElse(0);
        return String.format(Locale.ROOT, "Poisson arrivals of %.1f-token queries; %s; %s; the machine as when trained (%s)", a.query().queryTokens(),
                cpus > 0 ? "the server on " + cpus + (cpus == 1 ? " CPU" : " CPUs") : "the server's CPUs as in the training runs",
                c.catalogProducts() > 0 ? "a catalog of " + c.catalogProducts() + " products" + (c.index().isEmpty() ? "" : " (" + c.index() + " index)")
                        : "the catalog of the training runs",
                "recops predict-latency --check tells whether this one still runs the model so");
    }

    static ObjectNode json(LatencyModel model, CapacityPlan.Answer a, boolean strict) {
        CapacityPlan.Request r = a.request();
        ObjectNode json = new ObjectMapper().createObjectNode();
        if (r.solve() != CapacityPlan.Solve.PREDICT) {
            json.put("assumes", assumptions(model, a));
        }
        Config config = a.query().config();
        ObjectNode cfg = json.putObject("config").put("batch_max", config.batchMax()).put("batch_delay_ms", config.batchDelayMillis())
                .put("workers", config.workers()).put("threads", config.threads()).put("catalog_products", config.catalogProducts())
                .put("index", config.index());
        put(cfg, "query_tokens", a.query().queryTokens());
        ObjectNode section = switch (r.solve()) {
            case PREDICT -> {
                cfg.put("rate", r.rate()).put("replicas", r.replicas()).put("rate_per_replica", round(a.query().rate()));
                a.met().forEach((o, met) -> json.withArray("objectives").addObject().put("objective", o.toString()).put("met", met));
                yield json;
            }
            case MAX_RATE -> {
                ObjectNode s = json.putObject("max_rate").put("objectives", r.objectives().toString());
                if (a.maxRatePerReplica().isPresent()) {
                    put(s, "rate_per_replica", a.maxRatePerReplica().getAsDouble());
                } else {
                    s.putNull("rate_per_replica");
                }
                put(s, "edge_per_replica", a.edge().orElse(Double.NaN));
                put(s.putObject("interval_per_replica"), "low", a.interval()[0]);
                put((ObjectNode) s.get("interval_per_replica"), "high", a.interval()[1]);
                yield s;
            }
            case REPLICAS -> {
                ObjectNode s = json.putObject("replicas").put("rate", r.rate()).put("headroom", r.headroom()).put("objectives", r.objectives().toString());
                if (a.replicas().isPresent()) {
                    s.put("replicas", a.replicas().getAsInt());
                    put(s, "max_rate_per_replica", a.maxRatePerReplica().getAsDouble());
                    put(s, "rate_per_replica", a.query().rate());
                } else {
                    s.putNull("replicas");
                }
                yield s;
            }
        };
        if (r.solve() != CapacityPlan.Solve.PREDICT) {
            ObjectNode m = section.putObject("margin_pct");
            a.margins().forEach((t, e) -> put(m, t.label(), 100 * e));
        }
        a.prediction().ifPresent(p -> {
            ObjectNode n = section.putObject("prediction");
            put(n, "p50_ms", p.p50());
            put(n, "p95_ms", p.p95());
            put(n, "p99_ms", p.p99());
            put(n, "max_throughput_rps", p.maxThroughput());
            ObjectNode intervals = n.putObject("interval_80");
            p.intervals().forEach((t, i) -> {
                ObjectNode e = intervals.putObject(t.column());
                put(e, "low", i.low());
                put(e, "high", i.high());
            });
            put(n, "utilisation", p.utilisation());
        });
        a.warnings().forEach(w -> json.withArray("warnings").add(w));
        json.put("ok", !a.failed(strict));
        return json;
    }

    private static void prediction(PrintWriter out, LatencyModel.Prediction p) {
        out.printf(Locale.ROOT, "  latency    p50 %.1f  p95 %.1f  p99 %.1f ms%n", p.p50(), p.p95(), p.p99());
        LatencyModel.Interval p50 = p.interval(Target.P50);
        LatencyModel.Interval p99 = p.interval(Target.P99);
        if (Double.isFinite(p50.low()) && Double.isFinite(p99.low())) {
            out.printf(Locale.ROOT, "  80%% interval p50 %.1f..%.1f  p99 %.1f..%.1f ms%n", p50.low(), p50.high(), p99.low(), p99.high());
        }
        if (Double.isFinite(p.maxThroughput())) {
            LatencyModel.Interval max = p.interval(Target.MAX_THROUGHPUT);
            out.printf(Locale.ROOT, "  load       utilisation %.2f of %s/s max throughput per replica%s%n", p.utilisation(), fmt(p.maxThroughput()),
                    Double.isFinite(max.low()) ? " (80% interval " + fmt(max.low()) + ".." + fmt(max.high()) + "/s)" : "");
        }
    }

    private static String margins(CapacityPlan.Answer a) {
        if (!a.request().margin()) {
            return "";
        }
        return a.margins().entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey().label(), 100 * e.getValue()))
                .collect(Collectors.joining(", ", ", with the top of the model's 80% interval under it (", ")"));
    }

    /** JSON has no NaN: what the model cannot tell is null. */
    private static void put(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, round(v));
        } else {
            n.putNull(key);
        }
    }

    private static String fmtOrNone(double v) {
        return Double.isFinite(v) ? fmt(v) : "none";
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }
}
