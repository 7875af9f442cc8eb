package dev.recops.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.load.Bench;
import dev.recops.engine.load.Comparison;
import dev.recops.engine.load.LoadRun;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.MaxRateSearch;
import dev.recops.engine.load.RunJson;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.Slo;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders a bench: the live line on a terminal while a run goes (which run of a sweep or
 * search, rate, p99 so far, errors), a row per run of a sweep or search, and the outcome as a
 * summary for people or JSON for machines.
 */
final class BenchRenderer implements Bench.Listener {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final boolean live;
    private final Bench.Request request;
    private String position = "";

    BenchRenderer(PrintWriter out, PrintWriter err, boolean json, boolean live, Bench.Request request) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.live = live;
        this.request = request;
    }

    @Override
    public void starting(String label, int index, int total) {
        position = label.isEmpty() ? "" : "run " + index + (total > 0 ? "/" + total : "") + " " + label + "  ";
    }

    @Override
    public void progress(LoadRun.Progress p) {
        if (live) {
            err.printf(Locale.ROOT, "\r%s%5.0fs %s %7.1f/s  p99 %8.2f ms  errors %d\033[K", position, p.elapsedSeconds(),
                    p.warmup() ? "warm-up" : "measure", p.responsesPerSecond(), p.p99SoFar(), p.errorsSoFar());
            err.flush();
        }
    }

    @Override
    public void ended(Bench.Point p) {
        clearLive();
        if (request.kind() == Bench.Kind.SWEEP || !json) {
            sweepRow(p);
        }
    }

    private void clearLive() {
        if (live) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    /** What a person reads on the terminal for the whole bench (every row of a sweep or search, then the outcome). */
    static String text(Bench.Request request, Bench.Outcome o) {
        StringWriter text = new StringWriter();
        BenchRenderer r = new BenchRenderer(new PrintWriter(text), new PrintWriter(Writer.nullWriter()), false, false, request);
        if (o.kind() != Bench.Kind.RUN) {
            o.points().forEach(r::sweepRow);
        }
        r.outcome(o);
        return text.toString();
    }

    void outcome(Bench.Outcome o) {
        clearLive();
        switch (o.kind()) {
            case RUN -> run(o.points().getFirst(), o.findings());
            case MAX_RATE -> maxRate(o.maxRate().orElseThrow());
            case SWEEP -> { } // every row is out
        }
    }

    private void run(Bench.Point p, List<Comparison.Finding> findings) {
        RunResult r = p.result();
        Optional<RunJson.Baseline> baseline = request.baseline();
        if (json) {
            ObjectNode node = RunJson.write(r);
            verdicts(node.putArray("slo"), p.verdicts());
            if (baseline.isPresent()) {
                ArrayNode cmp = node.putObject("comparison").put("baseline", baseline.get().file().toString()).putArray("findings");
                for (Comparison.Finding f : findings) {
                    cmp.addObject().put("metric", f.metric()).put("baseline", f.baseline()).put("current", f.current())
                            .put("change", f.change()).put("p_value", Double.isNaN(f.pValue()) ? null : f.pValue())
                            .put("regression", f.regression());
                }
            }
            out.println(node.toPrettyString());
        } else {
            summary(r);
            for (Slo.Verdict v : p.verdicts()) {
                out.println("  slo        " + v.describe());
            }
            baseline.ifPresent(b -> findings.forEach(f -> out.printf(Locale.ROOT, "  compare    %s: %.2f -> %.2f (%+.1f%%%s)%s%n", f.metric(),
                    f.baseline(), f.current(), f.change() * 100,
                    Double.isNaN(f.pValue()) ? ", too few seconds to judge noise" : String.format(Locale.ROOT, ", p=%.3g", f.pValue()),
                    f.regression() ? " REGRESSION" : "")));
        }
        out.flush();
    }

    private void summary(RunResult r) {
        LoadSpec s = r.spec();
        String load = s.mode() == LoadSpec.Mode.OPEN
                ? String.format(Locale.ROOT, "open loop at %s/s (%s)", num(s.rate()), s.arrivals().name().toLowerCase(Locale.ROOT))
                : "closed loop, " + s.concurrency() + " clients";
        out.printf(Locale.ROOT, "recops bench: %s, %s, %ss measured after %ss warm-up, mix %s%n", r.target(), load,
                num(r.measuredSeconds()), num(s.warmup().toMillis() / 1e3), r.mix());
        out.printf(Locale.ROOT, "  requests   %d sent, %d dropped, %d answered, %.2f%% ok; achieved %.1f/s, throughput %.1f/s%n",
                r.sent(), r.dropped(), r.responses(), r.sent() + r.dropped() == 0 ? 0 : 100.0 * r.ok() / (r.sent() + r.dropped()),
                r.achievedRate(), r.throughput());
        if (r.degraded() > 0) {
            out.printf(Locale.ROOT, "  degraded   %s answered by the server's fallback, not its model (%.2f%%): their latency is not the model's%n",
                    Plural.of(r.degraded(), "request"), 100 * r.degradedShare());
        }
        RunResult.Latency l = r.latency();
        out.printf(Locale.ROOT, "  latency    p50 %.2f  p90 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms (%s)%n", l.p50(), l.p90(), l.p95(), l.p99(),
                l.p999(), l.max(), s.mode() == LoadSpec.Mode.OPEN ? "from intended start" : "of the responses received, from their send");
        if (s.mode() == LoadSpec.Mode.OPEN && !MaxRateSearch.steady(r)) {
            out.printf(Locale.ROOT, "  steady     NO: the wait grew %.1f ms per second through the run (arrivals outpace service by about %.0f%%): "
                    + "a longer run at this rate queues until the server sheds%n", r.waitGrowth(), r.waitGrowth() / 10);
        }
        r.corrected().ifPresent(c -> out.printf(Locale.ROOT,
                "  corrected  p50 %.2f  p90 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms (an estimate for coordinated omission, "
                        + "the running mean as the expected interval: not what the clients saw)%n", c.p50(), c.p90(), c.p95(), c.p99(), c.p999(), c.max()));
        r.lag().ifPresent(g -> out.printf(Locale.ROOT, "  lag        p99 %.3f ms, max %.3f ms (dispatcher behind schedule)%n", g.p99(), g.max()));
        if (r.connections().opened() + r.connections().reused() > 0) {
            out.println(r.connections().opened() == 0
                    ? String.format(Locale.ROOT, "  connections none opened: %s on connections kept alive from before the measured window (never retried)",
                            Plural.of(r.connections().reused(), "request"))
                    : String.format(Locale.ROOT, "  connections %d opened, %s on kept-alive ones (never retried)", r.connections().opened(),
                            Plural.of(r.connections().reused(), "request")));
        }
        if (!r.errors().isEmpty()) {
            out.println("  errors     " + r.errors().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        }
        r.facts().ifPresent(f -> out.printf(Locale.ROOT, "  server     %s v%s, batch-max %d, batch-delay %sms, workers %d, threads %d, %d products%s%s%n",
                f.model(), f.version(), f.batchMax(), num(f.batchDelayMillis()), f.workers(), f.threads(), f.catalogProducts(), f.index().isEmpty() ? "" : " (" + f.index() + " index)",
                r.meanQueryTokens().isPresent() ? String.format(Locale.ROOT, ", %.1f tokens per query", r.meanQueryTokens().getAsDouble()) : ""));
        r.batches().ifPresent(b -> out.printf(Locale.ROOT, "  model      %d calls, %.2f texts per call, %.2f ms per call%n", b.calls(), b.meanBatch(),
                b.meanCallMillis()));
        r.serverCpuMillisPerRequest().ifPresent(c -> out.printf(Locale.ROOT, "  cpu        %.2f ms of the server's CPU per response%s%n", c,
                r.batches().map(b -> String.format(Locale.ROOT, " (%.2f ms in model calls)", b.calls() * b.meanCallMillis() / Math.max(1, r.responses())))
                        .orElse("")));
        r.cacheHitRatio().ifPresent(h -> out.printf(Locale.ROOT, "  cache      %.1f%% of the query lookups hit the server's query cache%s%n", 100 * h,
                h > 0.5 ? " (these latencies are mostly not the model's: --query-cache 0 on the server measures it)" : ""));
    }

    /** One line per run of a sweep or search (JSON Lines for a sweep with --format json). */
    private void sweepRow(Bench.Point p) {
        RunResult r = p.result();
        if (json) {
            ObjectNode node = RunJson.write(r);
            node.put("sweep_parameter", p.parameter()).put("sweep_value", p.value());
            verdicts(node.putArray("slo"), p.verdicts());
            out.println(node.toString());
        } else {
            out.printf(Locale.ROOT, "%s=%s: throughput %.1f/s, p50 %.2f, p99 %.2f, p99.9 %.2f ms, errors %.2f%%, degraded %.2f%%, dropped %d%s%n",
                    p.parameter(), num(p.value()), r.throughput(), r.latency().p50(), r.latency().p99(), r.latency().p999(), r.errorRate() * 100,
                    r.degradedShare() * 100, r.dropped(), (p.breached() ? "  SLO BREACHED" : "  SLO met") // never without objectives: degraded<=0% at least
                            + (request.kind() == Bench.Kind.MAX_RATE && !MaxRateSearch.steady(r)
                                    ? String.format(Locale.ROOT, ", NOT STEADY (wait +%.1f ms/s)", r.waitGrowth()) : ""));
        }
        out.flush();
    }

    private void maxRate(MaxRateSearch.Result found) {
        String slo = request.objectives().stream().map(Slo::text).collect(Collectors.joining(" and "));
        if (json) {
            ObjectNode node = JsonNodeFactory.instance.objectNode();
            node.put("objectives", slo).put("runs", found.probes().size()).put("repeats", request.repeats());
            if (found.bestRate().isPresent()) {
                node.put("max_rate", found.bestRate().getAsDouble());
            } else {
                node.putNull("max_rate");
            }
            ArrayNode rates = node.putArray("rates");
            found.rates().forEach(r -> rates.addObject().put("rate", r.rate()).put("passed", r.passed()).put("probes", r.probes().size())
                    .put("probes_passed", r.passes()));
            ArrayNode probes = node.putArray("probes");
            found.probes().forEach(p -> probes.add(RunJson.write(p)));
            out.println(node.toPrettyString());
            out.flush();
            return;
        }
        if (request.repeats() > 1) {
            out.println("rates probed: " + found.rates().stream().map(r -> String.format(Locale.ROOT, "%s/s %d of %d passed", num(r.rate()),
                    r.passes(), r.probes().size())).collect(Collectors.joining(", ")));
        }
        if (found.bestRate().isPresent()) {
            out.printf(Locale.ROOT, "max rate meeting %s: %s/s%s (%d runs)%n", slo, num(found.bestRate().getAsDouble()),
                    found.firstFailingRate().isPresent() ? " (breached at " + num(found.firstFailingRate().getAsDouble()) + "/s)" : "",
                    found.probes().size());
        } else {
            out.printf(Locale.ROOT, "no probed rate met %s (lowest tried: %s/s)%n", slo,
                    num(found.probes().stream().mapToDouble(p -> p.spec().rate()).min().orElse(0)));
        }
        out.flush();
    }

    private static void verdicts(ArrayNode array, List<Slo.Verdict> verdicts) {
        for (Slo.Verdict v : verdicts) {
            array.addObject().put("objective", v.slo().text()).put("actual", v.actual()).put("met", v.met());
        }
    }

    private static String num(double v) {
        return Bench.num(v);
    }
}
