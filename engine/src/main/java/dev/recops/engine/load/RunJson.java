package dev.recops.engine.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The JSON form of a run ({@code --format json}, {@code --out run.json}), and reading one back as a baseline. */
public final class RunJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunJson() {}

    public static ObjectNode write(RunResult r) {
        ObjectNode out = JSON.createObjectNode();
        out.put("target", r.target()).put("started", r.started().toString());
        ObjectNode config = out.putObject("config");
        config.put("mode", r.spec().mode().name().toLowerCase(Locale.ROOT));
        if (r.spec().mode() == LoadSpec.Mode.OPEN) {
            config.put("rate", r.spec().rate()).put("arrivals", r.spec().arrivals().name().toLowerCase(Locale.ROOT))
                    .put("max_in_flight", r.spec().maxInFlight());
        } else {
            config.put("concurrency", r.spec().concurrency());
        }
        config.put("duration_s", r.measuredSeconds()).put("warmup_s", r.spec().warmup().toMillis() / 1e3)
                .put("timeout_s", r.spec().timeout().toMillis() / 1e3).put("mix", r.mix())
                .put("order", r.order().name().toLowerCase(Locale.ROOT));
        r.facts().ifPresent(f -> config.putObject("server").put("model", f.model()).put("version", f.version())
                .put("batch_max", f.batchMax()).put("batch_delay_ms", f.batchDelayMillis()).put("workers", f.workers())
                .put("threads", f.threads()).put("catalog_products", f.catalogProducts()).put("index", f.index()).put("cpus", f.cpus()));
        r.meanQueryTokens().ifPresent(t -> config.put("mean_query_tokens", round(t)));
        r.batches().ifPresent(b -> out.putObject("model_calls").put("calls", b.calls()).put("mean_batch", round(b.meanBatch()))
                .put("mean_call_ms", round(b.meanCallMillis())));
        r.cacheHitRatio().ifPresent(h -> out.put("query_cache_hit_ratio", round(h)));
        r.serverCpuMillisPerRequest().ifPresent(c -> out.put("server_cpu_ms_per_request", round(c)));
        out.put("sent", r.sent()).put("responses", r.responses()).put("ok", r.ok()).put("degraded", r.degraded())
                .put("degraded_share", r.degradedShare()).put("dropped", r.dropped())
                .put("error_rate", r.errorRate()).put("achieved_rate", round(r.achievedRate())).put("throughput_rps", round(r.throughput()));
        double growth = r.waitGrowth();
        if (r.spec().mode() == LoadSpec.Mode.OPEN && !Double.isNaN(growth)) {
            out.put("wait_growth_ms_per_s", round(growth)).put("steady", MaxRateSearch.steady(r));
        }
        out.putObject("connections").put("opened", r.connections().opened()).put("reused", r.connections().reused());
        ObjectNode errors = out.putObject("errors");
        r.errors().forEach(errors::put);
        latency(out.putObject("latency_ms"), r.latency());
        r.lag().ifPresent(l -> latency(out.putObject("scheduler_lag_ms"), l));
        r.corrected().ifPresent(l -> latency(out.putObject("latency_corrected_ms"), l));
        var intervals = out.putArray("intervals");
        for (RunResult.Interval i : r.intervals()) {
            intervals.addObject().put("t", i.startSeconds()).put("responses", i.responses()).put("errors", i.errors())
                    .put("degraded", i.degraded()).put("p50_ms", round(i.p50())).put("p99_ms", round(i.p99()));
        }
        var distribution = out.putArray("distribution_ms");
        for (RunResult.Percentile p : r.distribution()) {
            distribution.addObject().put("percentile", p.percentile()).put("ms", round(p.millis()));
        }
        return out;
    }

    private static void latency(ObjectNode out, RunResult.Latency l) {
        out.put("count", l.count()).put("p50", round(l.p50())).put("p90", round(l.p90())).put("p95", round(l.p95())).put("p99", round(l.p99()))
                .put("p99_9", round(l.p999())).put("max", round(l.max())).put("mean", round(l.mean()));
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** What a comparison (and its overlay on the charts) needs from a saved run. */
    public record Baseline(Path file, String mode, double p50, double p99, double throughput, List<RunResult.Interval> intervals,
                           List<RunResult.Percentile> distribution) {}

    public static Baseline read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "baseline " + file + " not found");
        } catch (IOException e) {
            throw new RecopsException.InvalidInput("bad_baseline", "baseline " + file + " is not JSON: " + e.getMessage());
        }
        if (root == null || !root.path("latency_ms").isObject() || !root.path("intervals").isArray()) {
            throw new RecopsException.InvalidInput("bad_baseline", "baseline " + file + " is not a recops bench run (--out run.json)");
        }
        List<RunResult.Interval> intervals = new ArrayList<>();
        for (JsonNode i : root.get("intervals")) {
            intervals.add(new RunResult.Interval(i.path("t").asDouble(), i.path("responses").asLong(), i.path("errors").asLong(),
                    i.path("p50_ms").asDouble(), i.path("p99_ms").asDouble(), i.path("degraded").asLong()));
        }
        List<RunResult.Percentile> distribution = new ArrayList<>(); // absent from runs written before it was added
        for (JsonNode p : root.path("distribution_ms")) {
            distribution.add(new RunResult.Percentile(p.path("percentile").asDouble(), p.path("ms").asDouble()));
        }
        return new Baseline(file, root.path("config").path("mode").asText(""), root.path("latency_ms").path("p50").asDouble(),
                root.path("latency_ms").path("p99").asDouble(), root.path("throughput_rps").asDouble(), intervals, distribution);
    }
}
