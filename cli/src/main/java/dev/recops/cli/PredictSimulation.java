package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.latency.CallTimeModel;
import dev.recops.analysis.latency.WhatIf;
import dev.recops.analysis.review.AccessLogs;
import dev.recops.batching.BatchSimulation;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** {@code recops predict-latency --simulate PROFILE.csv}: what the batcher alone would do, from the call-time profile. */
final class PredictSimulation {
    static final int DEFAULT_BATCH_MAX = 16;
    static final Duration DEFAULT_BATCH_DELAY = Duration.ofMillis(2);
    static final int DEFAULT_WORKERS = 2;
    static final int DEFAULT_THREADS = 1;
    static final double DEFAULT_TOKENS = 8;

    private PredictSimulation() {}

    /**
     * @param arrivals poisson, constant, or an access log (JSON Lines, plain or .gz) to replay
     * @param rate per second; for a replay, the mean rate its timeline is scaled to (null: as recorded)
     */
    static int run(Path profileFile, ServingSettingsOptions s, String arrivals, Double rate, double seconds, int queueCapacity,
                   Duration timeout, PrintWriter out, OutputOptions output) {
        if (s.catalogProducts != null || s.index != null || s.serverCpus != null) {
            throw AnalysisException.invalid("--catalog-products, --index and --server-cpus ask a trained model (--model); "
                    + "--simulate runs the batcher on the profile's CPUs");
        }
        WhatIf.Settings settings = new WhatIf.Settings(or(s.batchMax, DEFAULT_BATCH_MAX), s.batchDelay == null ? DEFAULT_BATCH_DELAY : s.batchDelay,
                or(s.workers, DEFAULT_WORKERS), or(s.threads, DEFAULT_THREADS), queueCapacity, timeout);
        check(settings.batchMax(), 1, 1024, "--batch-max");
        check(settings.workers(), 1, 256, "--workers");
        check(settings.threads(), 1, 256, "--threads");
        check(queueCapacity, 1, 1_000_000, "--queue-capacity");
        if (settings.batchDelay().isNegative() || settings.batchDelay().compareTo(Duration.ofSeconds(1)) > 0) {
            throw AnalysisException.invalid("--batch-delay must be in 0..1s");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw AnalysisException.invalid("--request-timeout must be positive");
        }
        double tokens = s.tokens == null ? DEFAULT_TOKENS : s.tokens;
        if (!(tokens >= 1)) {
            throw AnalysisException.invalid("--tokens must be at least 1");
        }
        CallTimeModel profile = CallTimeModel.fit(CallTimeModel.read(profileFile), CallTimeModel.FOLDS);
        String process = arrivals.toLowerCase(Locale.ROOT);
        List<BatchSimulation.Arrival> load;
        String described;
        if (process.equals("poisson") || process.equals("constant")) {
            if (rate == null) {
                throw AnalysisException.invalid("--rate is required with --arrivals " + process);
            }
            if (!(seconds > 0)) {
                throw AnalysisException.invalid("--seconds must be positive");
            }
            WhatIf.Process p = process.equals("poisson") ? WhatIf.Process.POISSON : WhatIf.Process.CONSTANT;
            load = WhatIf.generate(p, rate, seconds, tokens, timeout, 1);
            described = String.format(Locale.ROOT, "%s arrivals at %s/s for %s s", process.equals("poisson") ? "Poisson" : "constant",
                    num(rate), num(seconds));
        } else {
            if (s.tokens != null) {
                throw AnalysisException.invalid("--tokens does not apply to a replay: each request keeps its logged query length");
            }
            load = WhatIf.replay(AccessLogs.read(List.of(Path.of(arrivals)), null, null).table(), rate, timeout);
            described = "the arrivals of " + arrivals + (rate == null ? ", as recorded" : ", scaled to " + num(rate) + "/s");
        }
        WhatIf.Report r = WhatIf.run(profile, settings, load);

        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("profile", profileFile.toString()).put("profile_cpus", profile.cores()).put("arrivals", described);
        json.putObject("settings").put("batch_max", settings.batchMax()).put("batch_delay_ms", settings.batchDelay().toNanos() / 1e6)
                .put("workers", settings.workers()).put("threads", settings.threads()).put("queue_capacity", queueCapacity)
                .put("request_timeout_ms", timeout.toMillis());
        json.put("requests", r.requests()).put("rate", r.rate()).put("mean_query_tokens", r.meanTokens())
                .put("p50_ms", r.p50()).put("p95_ms", r.p95()).put("p99_ms", r.p99()).put("utilisation", r.utilisation())
                .put("shed_share", r.shedShare()).put("shed_queue_full", r.shedQueueFull()).put("shed_deadline", r.shedDeadline())
                .put("expired", r.expired()).put("mean_batch", r.meanBatch()).put("mean_call", r.meanCall())
                .put("max_throughput", r.maxThroughput());
        String text = String.format(Locale.ROOT, """
                The batcher alone (batch-max %d, batch-delay %s, %d worker(s), %d thread(s), queue %d, timeout %s), call times from %s \
                (measured on %d CPU(s)):
                  load:        %s: %,d requests, %.1f/s, %.1f tokens on average
                  latency:     p50 %s ms, p95 %s ms, p99 %s ms (queue and model, answered requests)
                  utilisation: %.0f%% of the workers' time; batches of %.2f requests, calls of %.2f texts
                  shed:        %.2f%% (queue full %,d, deadline out of reach %,d, expired waiting %,d)
                  max throughput: %s/s (Poisson arrivals of %.0f tokens, at most 1%% shed)
                The server adds HTTP, tokenizing and retrieval around the batcher, on the same CPUs: a model trained with \
                recops train --profile calibrates for them (predict-latency --model).""",
                settings.batchMax(), DurationConverter.format(settings.batchDelay()), settings.workers(), settings.threads(), queueCapacity,
                DurationConverter.format(timeout), profileFile, profile.cores(), described, r.requests(), r.rate(), r.meanTokens(),
                num(r.p50()), num(r.p95()), num(r.p99()), 100 * r.utilisation(), r.meanBatch(), r.meanCall(), 100 * r.shedShare(),
                r.shedQueueFull(), r.shedDeadline(), r.expired(), num(r.maxThroughput()), r.meanTokens());
        output.print(out, json, text);
        return ExitCodes.OK;
    }

    private static int or(Integer v, int fallback) {
        return v == null ? fallback : v;
    }

    private static void check(int v, int min, int max, String option) {
        if (v < min || v > max) {
            throw AnalysisException.invalid(option + " must be in " + min + ".." + max + ", not " + v);
        }
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
