package dev.recops.engine.load;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Appends one row per run to a CSV file: the configuration and the results, the training data
 * of {@code recops train}. The header is written when the file is new or empty; a file whose
 * header differs is refused rather than mixed.
 */
public final class RunsCsv {
    public static final List<String> COLUMNS = List.of(
            "ts", "target", "mode", "rate", "arrivals", "concurrency", "duration_s", "warmup_s", "mix", "k",
            "model", "version", "batch_max", "batch_delay_ms", "workers", "threads", "replicas", "mean_query_tokens",
            "catalog_products", "index", "sent", "dropped", "error_rate", "achieved_rate", "throughput_rps",
            "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "lag_p99_ms",
            "model_calls", "mean_batch", "mean_call_ms", "server_cpus", "degraded_share",
            "server_cpu_ms_per_request");

    private RunsCsv() {}

    public static void append(Path file, RunResult r, int k, int replicas) {
        String header = String.join(",", COLUMNS);
        try {
            boolean fresh = !Files.exists(file) || Files.size(file) == 0;
            if (!fresh) {
                String first;
                try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
                    first = lines.findFirst().orElse("");
                }
                if (!first.equals(header)) {
                    throw new RecopsException.InvalidInput("csv_header_mismatch", file + " has other columns than recops bench writes"
                            + (header.startsWith(first + ",") ? " (an older recops wrote it, without " + header.substring(first.length() + 1) + ")" : "")
                            + "; use a new file");
                }
            }
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                if (fresh) {
                    w.write(header + "\n");
                }
                w.write(row(r, k, replicas) + "\n");
            }
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String row(RunResult r, int k, int replicas) {
        boolean open = r.spec().mode() == LoadSpec.Mode.OPEN;
        var f = r.facts();
        List<Object> values = List.of(
                r.started().toString(), r.target(), open ? "open" : "closed", open ? num(r.spec().rate()) : "",
                open ? r.spec().arrivals().name().toLowerCase(Locale.ROOT) : "", open ? "" : r.spec().concurrency(),
                num(r.measuredSeconds()), num(r.spec().warmup().toMillis() / 1e3), quote(r.mix()), k,
                f.map(Target.Facts::model).orElse(""), f.map(Target.Facts::version).orElse(""),
                f.map(x -> (Object) x.batchMax()).orElse(""), f.map(x -> (Object) num(x.batchDelayMillis())).orElse(""),
                f.map(x -> (Object) x.workers()).orElse(""), f.map(x -> (Object) x.threads()).orElse(""), replicas,
                r.meanQueryTokens().isPresent() ? num(r.meanQueryTokens().getAsDouble()) : "",
                f.map(x -> (Object) x.catalogProducts()).orElse(""), f.map(Target.Facts::index).orElse(""), r.sent(), r.dropped(), num(r.errorRate()),
                num(r.achievedRate()), num(r.throughput()), num(r.latency().p50()), num(r.latency().p90()),
                num(r.latency().p95()), num(r.latency().p99()), num(r.latency().p999()), num(r.latency().max()),
                r.lag().map(l -> (Object) num(l.p99())).orElse(""),
                r.batches().map(b -> (Object) b.calls()).orElse(""), r.batches().map(b -> (Object) num(b.meanBatch())).orElse(""),
                r.batches().map(b -> (Object) num(b.meanCallMillis())).orElse(""), f.map(x -> x.cpus() > 0 ? (Object) x.cpus() : "").orElse(""),
                num(r.degradedShare()), r.serverCpuMillisPerRequest().isPresent() ? num(r.serverCpuMillisPerRequest().getAsDouble()) : "");
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
