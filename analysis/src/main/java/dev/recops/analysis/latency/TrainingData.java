package dev.recops.analysis.latency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.Csv;
import dev.recops.analysis.review.Timeline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The measurements a latency model learns from: {@code recops bench --csv} rows (open loop only:
 * a closed loop has no offered rate) and access logs ({@code .jsonl}) aggregated per whole minute.
 * An access log does not record how the server was configured, so the caller says.
 *
 * <p>Runs repeated at the same configuration and rate become one observation, the median of each
 * measurement: on a shared machine one run in several is slowed by something else, and the
 * median of three ignores it where a mean would not.
 *
 * @param runs rows and minutes read, before repeats were merged
 * @param skipped rows not used, with the reason, for the report
 * @param sha256 of the files' bytes in the order given: the identity of the training data
 * @param profile the model's call-time profile ({@code recops bench --profile}), or null
 */
public record TrainingData(List<Observation> observations, int runs, List<Path> files, List<String> skipped, String sha256,
                           CallTimeModel profile) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainingData {
        observations = List.copyOf(observations);
        files = List.copyOf(files);
        skipped = List.copyOf(skipped);
    }

    public TrainingData(List<Observation> observations, int runs, List<Path> files, List<String> skipped, String sha256) {
        this(observations, runs, files, skipped, sha256, null);
    }

    /**
     * These measurements with the model's call-time profile, which the simulation runs on; its
     * file joins the identity of the data.
     */
    public TrainingData withProfile(Path file) {
        CallTimeModel model = CallTimeModel.fit(CallTimeModel.read(file), CallTimeModel.FOLDS);
        MessageDigest digest = newDigest();
        digest.update(sha256.getBytes(StandardCharsets.UTF_8));
        try {
            digest.update(Files.readAllBytes(file));
        } catch (IOException e) {
            throw AnalysisException.missing("cannot read the profile " + file + ": " + e.getMessage());
        }
        List<Path> all = new ArrayList<>(files);
        all.add(file);
        return new TrainingData(observations, runs, all, skipped, HexFormat.of().formatHex(digest.digest()), model);
    }

    /**
     * @param logConfig how the server that wrote any access log was configured; required when
     *     {@code files} has a {@code .jsonl}
     */
    public static TrainingData read(List<Path> files, Optional<Config> logConfig) {
        if (files.isEmpty()) {
            throw AnalysisException.invalid("no training files given");
        }
        List<Observation> all = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        MessageDigest digest = newDigest();
        for (Path f : files) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(f);
            } catch (NoSuchFileException e) {
                throw AnalysisException.missing("training file " + f + " not found");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
            }
            digest.update(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (f.getFileName().toString().endsWith(".jsonl")) {
                Config c = logConfig.orElseThrow(() -> AnalysisException.invalid(f + " is an access log, which does not record how the "
                        + "server was configured: give --batch-max, --batch-delay, --workers and --threads for it"));
                all.addAll(accessLog(f, text, c, skipped));
            } else {
                all.addAll(runs(f, text, skipped));
            }
        }
        if (all.isEmpty()) {
            throw AnalysisException.invalid("no usable measurements in " + files + (skipped.isEmpty() ? "" : ": " + skipped.getFirst()));
        }
        return new TrainingData(medianOfRepeats(all), all.size(), files, skipped, HexFormat.of().formatHex(digest.digest()));
    }

    /** One observation per configuration and rate: the median of each measurement over the repeats. */
    static List<Observation> medianOfRepeats(List<Observation> all) {
        Map<List<Object>, List<Observation>> groups = new LinkedHashMap<>();
        for (Observation o : all) {
            groups.computeIfAbsent(List.of(o.config(), o.query().rate()), k -> new ArrayList<>()).add(o);
        }
        List<Observation> out = new ArrayList<>();
        for (List<Observation> g : groups.values()) {
            if (g.size() == 1) {
                out.add(g.getFirst());
                continue;
            }
            Observation first = g.getFirst();
            out.add(new Observation(new Query(first.config(), first.query().rate(), median(g, o -> o.query().queryTokens())),
                    median(g, Observation::p50), median(g, Observation::p95), median(g, Observation::p99), median(g, Observation::errorRate),
                    median(g, Observation::throughput), median(g, Observation::meanBatch), median(g, Observation::callMillis),
                    median(g, Observation::cpuMillis), first.source() + " and " + (g.size() - 1) + " repeats"));
        }
        return out;
    }

    private static double median(List<Observation> g, ToDoubleFunction<Observation> f) {
        double[] v = g.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Rows of {@code recops bench --csv}, found by column name, so older files (no p95) still read. */
    static List<Observation> runs(Path file, String text, List<String> skipped) {
        List<Csv.Row> rows = Csv.rows(file.toString(), text);
        if (rows.isEmpty()) {
            throw AnalysisException.invalid(file + " is empty");
        }
        List<String> header = rows.getFirst().fields();
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            col.put(header.get(i).trim(), i);
        }
        for (String required : List.of("mode", "rate", "batch_max", "batch_delay_ms", "workers", "threads", "error_rate", "throughput_rps",
                "p50_ms", "p99_ms")) {
            if (!col.containsKey(required)) {
                throw AnalysisException.invalid(file + " has no " + required + " column: not a recops bench --csv file");
            }
        }
        List<Observation> out = new ArrayList<>();
        for (Csv.Row row : rows.subList(1, rows.size())) {
            String where = file.getFileName() + ":" + row.line();
            String[] f = row.fields().toArray(String[]::new);
            if (f.length != header.size()) {
                throw AnalysisException.invalid(where + ": " + f.length + " fields, the header has " + header.size());
            }
            Row r = new Row(f, col, where);
            if (!r.text("mode").equals("open")) {
                skipped.add(where + ": closed loop (no offered rate)");
                continue;
            }
            if (r.text("batch_max").isEmpty()) {
                skipped.add(where + ": the target did not tell its configuration");
                continue;
            }
            double degraded = r.optional("degraded_share").orElse(0.0); // absent from files of older versions
            if (degraded > 0) {
                skipped.add(String.format(Locale.ROOT, "%s: %.2f%% of its answers came from the server's fallback, not its model "
                        + "(their latency is not the model's)", where, 100 * degraded));
                continue;
            }
            double replicas = r.optional("replicas").orElse(1.0);
            Config c = new Config(r.text("model"), r.text("version"), (int) r.number("batch_max"), r.number("batch_delay_ms"),
                    (int) r.number("workers"), (int) r.number("threads"), r.optional("catalog_products").orElse(0.0).intValue(),
                    r.text("index"), r.optional("server_cpus").orElse(0.0).intValue());
            double tokens = r.optional("mean_query_tokens").orElse(Double.NaN);
            out.add(new Observation(new Query(c, r.number("rate") / replicas, tokens), r.number("p50_ms"),
                    r.optional("p95_ms").orElse(Double.NaN), r.number("p99_ms"), r.number("error_rate"), r.number("throughput_rps") / replicas,
                    r.optional("mean_batch").orElse(Double.NaN), r.optional("mean_call_ms").orElse(Double.NaN),
                    r.optional("server_cpu_ms_per_request").orElse(Double.NaN), where));
        }
        return out;
    }

    private record Row(String[] fields, Map<String, Integer> col, String where) {
        String text(String name) {
            Integer i = col.get(name);
            return i == null ? "" : fields[i].trim();
        }

        double number(String name) {
            return optional(name).orElseThrow(() -> AnalysisException.invalid(where + ": " + name + " is empty"));
        }

        Optional<Double> optional(String name) {
            String s = text(name);
            if (s.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(Double.parseDouble(s));
            } catch (NumberFormatException e) {
                throw AnalysisException.invalid(where + ": " + name + " \"" + s + "\" is not a number");
            }
        }
    }

    /**
     * Per whole minute of an access log: the request rate, latency percentiles, errors (5xx),
     * query tokens, and the model calls (a request in a batch of n is 1/n of a call). The first
     * and last minutes are partial and left out.
     */
    static List<Observation> accessLog(Path file, String text, Config config, List<String> skipped) {
        TreeMap<Instant, Minute> minutes = new TreeMap<>();
        String model = config.model();
        String version = config.version();
        int n = 0;
        try (BufferedReader in = new BufferedReader(new StringReader(text))) {
            for (String line; (line = in.readLine()) != null; ) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode e;
                Instant ts;
                try {
                    e = JSON.readTree(line);
                    ts = Instant.parse(e.path("ts").asText());
                } catch (IOException | DateTimeParseException ex) {
                    throw AnalysisException.invalid(file.getFileName() + ":" + n + ": not an access log line (JSON with an RFC 3339 ts)");
                }
                if (model.isEmpty()) {
                    model = e.path("model").asText("");
                    version = e.path("version").asText("");
                }
                minutes.computeIfAbsent(ts.truncatedTo(ChronoUnit.MINUTES), k -> new Minute()).add(e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Config c = new Config(model, version, config.batchMax(), config.batchDelayMillis(), config.workers(), config.threads(),
                config.catalogProducts(), config.index());
        List<Observation> out = new ArrayList<>();
        if (minutes.size() > 2) {
            minutes.pollFirstEntry();
            minutes.pollLastEntry();
        } else {
            skipped.add(file.getFileName() + ": shorter than three minutes (its first and last minutes are partial)");
            minutes.clear();
        }
        for (var m : minutes.entrySet()) {
            out.add(m.getValue().observation(c, file.getFileName() + " " + m.getKey()));
        }
        return out;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Minute {
        final List<Double> latencies = new ArrayList<>();
        int errors;
        double tokens;
        int searches;
        int batched;
        double calls;
        double callMillis;

        void add(JsonNode e) {
            latencies.add(e.path("latency_ms").asDouble());
            if (e.path("status").asInt() >= 500) {
                errors++;
            }
            if (e.path("query_tokens").asInt() > 0) {
                tokens += e.path("query_tokens").asInt();
                searches++;
            }
            int batch = e.path("batch_size").asInt();
            if (batch > 0) {
                batched++;
                calls += 1.0 / batch;
                callMillis += e.path("inference_ms").asDouble() / batch;
            }
        }

        Observation observation(Config c, String where) {
            double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double rate = sorted.length / 60.0;
            return new Observation(new Query(c, rate, searches == 0 ? Double.NaN : tokens / searches), Timeline.quantile(sorted, 0.50),
                    Timeline.quantile(sorted, 0.95), Timeline.quantile(sorted, 0.99), errors / (double) sorted.length, rate,
                    calls > 0 ? batched / calls : Double.NaN, calls > 0 ? callMillis / calls : Double.NaN, Double.NaN, where);
        }
    }
}
