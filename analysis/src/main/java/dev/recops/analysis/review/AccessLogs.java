package dev.recops.analysis.review;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.recops.analysis.AnalysisException;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads serve's JSON Lines access logs (plain or {@code .gz}) into one Tablesaw table, merged by
 * time. Streams each line through Jackson's parser into primitive arrays and builds the columns
 * once (Tablesaw's own JSON Lines reader takes 20-30 s and over 1 GB for a million lines).
 * A line that is not an access-log object is counted with its file and line number, never fatal.
 *
 * <p>Columns: {@code ts_ms} (epoch milliseconds), {@code endpoint}, {@code model},
 * {@code version}, {@code status}, {@code latency_ms}, {@code queue_ms}, {@code inference_ms},
 * {@code batch_size}, {@code k}, {@code query_tokens}, {@code degraded}, {@code error},
 * {@code cache} ({@code hit}, {@code miss}, or empty when the line says nothing of a query cache).
 */
public final class AccessLogs {
    /** At most this many malformed lines are kept by location; all are counted. */
    static final int KEPT_BAD_LINES = 20;
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * @param table the requests, sorted by {@code ts_ms}
     * @param malformed lines that were not access-log objects
     * @param malformedExamples the first of them, as {@code file:line}
     * @param outsideWindow well-formed lines before {@code from} or after {@code to}
     */
    public record Loaded(Table table, long malformed, List<String> malformedExamples, long outsideWindow) {}

    private AccessLogs() {}

    private static final int CHUNK = 8192;

    /** @param from inclusive, or null; @param to exclusive, or null */
    public static Loaded read(List<Path> files, Instant from, Instant to) {
        if (files.isEmpty()) {
            throw AnalysisException.invalid("no access logs given");
        }
        long fromMs = from == null ? Long.MIN_VALUE : from.toEpochMilli();
        long toMs = to == null ? Long.MAX_VALUE : to.toEpochMilli();
        Columns all = new Columns();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        // One thread reads lines, the pool parses chunks of them; chunks are merged in order, so
        // the table and the malformed-line examples come out as if parsed in one pass.
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "review-parse");
            t.setDaemon(true);
            return t;
        });
        // Tablesaw's Table scans the class path for its readers when first used (about 0.4 s here):
        // let that happen while the logs are read.
        pool.submit(() -> Table.create());
        try {
            for (Path f : files) {
                String name = f.getFileName().toString();
                ArrayDeque<Future<Columns>> inFlight = new ArrayDeque<>();
                try (InputStream raw = Files.newInputStream(f);
                     InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
                     BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
                    int n = 0;
                    String[] chunk = new String[CHUNK];
                    int filled = 0;
                    for (String line; (line = r.readLine()) != null; ) {
                        chunk[filled++] = line;
                        if (filled == CHUNK) {
                            submit(pool, inFlight, chunk, filled, name, n, fromMs, toMs);
                            n += filled;
                            chunk = new String[CHUNK];
                            filled = 0;
                            while (inFlight.size() > 2 * threads) {
                                all.append(take(inFlight));
                            }
                        }
                    }
                    submit(pool, inFlight, chunk, filled, name, n, fromMs, toMs);
                    while (!inFlight.isEmpty()) {
                        all.append(take(inFlight));
                    }
                } catch (NoSuchFileException e) {
                    throw AnalysisException.missing("access log " + f + " not found");
                } catch (ZipException e) {
                    throw AnalysisException.invalid(f + " is not gzip data: " + e.getMessage());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
                } finally {
                    inFlight.forEach(x -> x.cancel(true));
                }
            }
        } finally {
            // not shutdownNow: an interrupt would break Table's class initialisation for good
            pool.shutdown();
        }
        return new Loaded(all.table(), all.malformed, List.copyOf(all.examples), all.outside);
    }

    private static void submit(ExecutorService pool, ArrayDeque<Future<Columns>> inFlight, String[] lines, int count, String file,
                               int firstLine, long fromMs, long toMs) {
        inFlight.add(pool.submit(() -> {
            Columns c = new Columns();
            for (int i = 0; i < count; i++) {
                String line = lines[i];
                if (line.isBlank()) {
                    continue;
                }
                if (!c.add(line, fromMs, toMs)) {
                    c.malformed++;
                    if (c.examples.size() < KEPT_BAD_LINES) {
                        c.examples.add(file + ":" + (firstLine + i + 1));
                    }
                }
            }
            return c;
        }));
    }

    private static Columns take(ArrayDeque<Future<Columns>> inFlight) {
        try {
            return inFlight.removeFirst().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading access logs", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }

    /**
     * Epoch milliseconds of an RFC 3339 UTC instant. Serve writes {@code 2026-11-22T10:00:00.005Z}
     * (seconds, optional fraction, Z), read here by position, as fast as the rest of the line;
     * anything else goes through {@link Instant#parse}.
     */
    static long epochMillis(String s) {
        int n = s.length();
        if (n >= 20 && s.charAt(4) == '-' && s.charAt(7) == '-' && s.charAt(10) == 'T' && s.charAt(13) == ':' && s.charAt(16) == ':'
                && s.charAt(n - 1) == 'Z' && (n == 20 || s.charAt(19) == '.')) {
            int year = digits(s, 0, 4);
            int month = digits(s, 5, 7);
            int day = digits(s, 8, 10);
            int hour = digits(s, 11, 13);
            int minute = digits(s, 14, 16);
            int second = digits(s, 17, 19);
            int millis = 0;
            int scale = 100;
            for (int i = 20; i < n - 1; i++) {
                int d = s.charAt(i) - '0';
                if (d < 0 || d > 9) {
                    millis = -1;
                    break;
                }
                millis += d * scale;
                scale /= 10;
            }
            if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= YearMonth.of(year, month).lengthOfMonth()
                    && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60 && millis >= 0) {
                long days = LocalDate.of(year, month, day).toEpochDay();
                return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + millis;
            }
        }
        return Instant.parse(s).toEpochMilli();
    }

    /** The decimal number in {@code s[from, to)}, or -1 when a character is not a digit. */
    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** Growable primitive arrays, one per field; strings interned through the columns' dictionaries. */
    static final class Columns {
        int size;
        long[] ts = new long[1 << 12];
        int[] status = new int[ts.length];
        int[] batch = new int[ts.length];
        int[] k = new int[ts.length];
        int[] tokens = new int[ts.length];
        double[] latency = new double[ts.length];
        double[] queue = new double[ts.length];
        double[] inference = new double[ts.length];
        boolean[] degraded = new boolean[ts.length];
        final List<String> endpoint = new ArrayList<>();
        final List<String> model = new ArrayList<>();
        final List<String> version = new ArrayList<>();
        final List<String> error = new ArrayList<>();
        final List<String> cache = new ArrayList<>();
        long malformed;
        long outside;
        final List<String> examples = new ArrayList<>();

        /** False when the line is not an access-log object (no ts, no latency, not JSON). */
        boolean add(String line, long fromMs, long toMs) {
            long t = Long.MIN_VALUE;
            int st = -1;
            int b = 0;
            int kk = 0;
            int tok = 0;
            double lat = Double.NaN;
            double q = 0;
            double inf = 0;
            boolean deg = false;
            String ep = "";
            String mo = "";
            String ve = "";
            String er = "";
            String ca = "";
            try (JsonParser p = JSON.createParser(line)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return false;
                }
                for (JsonToken tk = p.nextToken(); tk == JsonToken.FIELD_NAME; tk = p.nextToken()) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    switch (name) {
                        case "ts" -> t = epochMillis(p.getText());
                        case "status" -> st = p.getIntValue();
                        case "latency_ms" -> lat = p.getDoubleValue();
                        case "queue_ms" -> q = p.getDoubleValue();
                        case "inference_ms" -> inf = p.getDoubleValue();
                        case "batch_size" -> b = p.getIntValue();
                        case "k" -> kk = p.getIntValue();
                        case "query_tokens" -> tok = p.getIntValue();
                        case "degraded" -> deg = v == JsonToken.VALUE_TRUE;
                        case "endpoint" -> ep = p.getText();
                        case "model" -> mo = p.getText();
                        case "version" -> ve = p.getText();
                        case "error" -> er = v == JsonToken.VALUE_NULL ? "" : p.getText();
                        case "cache" -> ca = v == JsonToken.VALUE_STRING ? p.getText() : "";
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException | DateTimeException | IllegalStateException e) {
                return false;
            }
            // A latency that is not a finite, non-negative number (1e400 parses as Infinity) or a
            // status outside HTTP's would poison every percentile and share after it.
            if (t == Long.MIN_VALUE || st < 100 || st > 599 || !(lat >= 0) || Double.isInfinite(lat)) {
                return false;
            }
            if (t < fromMs || t >= toMs) {
                outside++;
                return true;
            }
            if (size == ts.length) {
                grow();
            }
            ts[size] = t;
            status[size] = st;
            batch[size] = b;
            k[size] = kk;
            tokens[size] = tok;
            latency[size] = lat;
            queue[size] = q;
            inference[size] = inf;
            degraded[size] = deg;
            endpoint.add(ep);
            model.add(mo);
            version.add(ve);
            error.add(er);
            cache.add(ca);
            size++;
            return true;
        }

        /** Appends another chunk's rows and counts after this one's. */
        void append(Columns o) {
            while (ts.length < size + o.size) {
                grow();
            }
            System.arraycopy(o.ts, 0, ts, size, o.size);
            System.arraycopy(o.status, 0, status, size, o.size);
            System.arraycopy(o.batch, 0, batch, size, o.size);
            System.arraycopy(o.k, 0, k, size, o.size);
            System.arraycopy(o.tokens, 0, tokens, size, o.size);
            System.arraycopy(o.latency, 0, latency, size, o.size);
            System.arraycopy(o.queue, 0, queue, size, o.size);
            System.arraycopy(o.inference, 0, inference, size, o.size);
            System.arraycopy(o.degraded, 0, degraded, size, o.size);
            endpoint.addAll(o.endpoint);
            model.addAll(o.model);
            version.addAll(o.version);
            error.addAll(o.error);
            cache.addAll(o.cache);
            size += o.size;
            malformed += o.malformed;
            outside += o.outside;
            for (String e : o.examples) {
                if (examples.size() < KEPT_BAD_LINES) {
                    examples.add(e);
                }
            }
        }

        private void grow() {
            int n = ts.length * 2;
            ts = Arrays.copyOf(ts, n);
            status = Arrays.copyOf(status, n);
            batch = Arrays.copyOf(batch, n);
            k = Arrays.copyOf(k, n);
            tokens = Arrays.copyOf(tokens, n);
            latency = Arrays.copyOf(latency, n);
            queue = Arrays.copyOf(queue, n);
            inference = Arrays.copyOf(inference, n);
            degraded = Arrays.copyOf(degraded, n);
        }

        Table table() {
            Table t = Table.create("access log",
                    LongColumn.create("ts_ms", Arrays.copyOf(ts, size)),
                    StringColumn.create("endpoint", endpoint),
                    StringColumn.create("model", model),
                    StringColumn.create("version", version),
                    IntColumn.create("status", Arrays.copyOf(status, size)),
                    DoubleColumn.create("latency_ms", Arrays.copyOf(latency, size)),
                    DoubleColumn.create("queue_ms", Arrays.copyOf(queue, size)),
                    DoubleColumn.create("inference_ms", Arrays.copyOf(inference, size)),
                    IntColumn.create("batch_size", Arrays.copyOf(batch, size)),
                    IntColumn.create("k", Arrays.copyOf(k, size)),
                    IntColumn.create("query_tokens", Arrays.copyOf(tokens, size)),
                    BooleanColumn.create("degraded", Arrays.copyOf(degraded, size)),
                    StringColumn.create("error", error),
                    StringColumn.create("cache", cache));
            boolean sorted = true;
            for (int i = 1; i < size && sorted; i++) {
                sorted = ts[i - 1] <= ts[i];
            }
            return sorted ? t : t.sortAscendingOn("ts_ms");
        }
    }
}
