package dev.recops.engine.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The access log: one JSON object per request per line (JSON Lines), written by a background
 * thread so that logging never blocks a request. When the in-memory buffer is full, lines are
 * dropped and counted ({@link #dropped()}), never waited for. The file rotates by size:
 * {@code access.jsonl} becomes {@code access.jsonl.1}, and so on, keeping {@code keep} old files.
 *
 * <p>Fields (the telemetry contract that {@code review}, {@code train} and {@code drill} read):
 * {@code ts} (RFC 3339 UTC, milliseconds), {@code request_id}, {@code endpoint}, {@code model},
 * {@code version}, {@code status}, {@code latency_ms}, {@code queue_ms}, {@code inference_ms},
 * {@code batch_size}, {@code k}, {@code query_tokens}, {@code results}, {@code degraded},
 * {@code error} (an error code, or null), and {@code cache} ({@code hit} or {@code miss}: whether the
 * query vector came from the version's query cache; absent when no cache was asked). Never a query text.
 *
 * <p>Thread-safe.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AccessLog.class.getName());
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();
    private static final int BUFFER = 16_384;

    /** One request as logged. Times in milliseconds; empty strings for absent model or version. */
    public record Entry(
            Instant ts, String requestId, String endpoint, String model, String version, int status,
            double latencyMs, double queueMs, double inferenceMs, int batchSize, int k, int queryTokens,
            int results, boolean degraded, String error, String cache) {
        public Entry(Instant ts, String requestId, String endpoint, String model, String version, int status, double latencyMs,
                     double queueMs, double inferenceMs, int batchSize, int k, int queryTokens, int results, boolean degraded, String error) {
            this(ts, requestId, endpoint, model, version, status, latencyMs, queueMs, inferenceMs, batchSize, k, queryTokens, results, degraded,
                    error, "");
        }
    }

    /** A log that writes nothing. */
    public static final AccessLog DISABLED = new AccessLog();

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private final Runnable onDrop;
    private final BlockingQueue<Entry> queue;
    private final AtomicLong dropped = new AtomicLong();
    private boolean failing; // the writer thread's
    private final Thread writer;
    private volatile boolean running;
    private Writer out;
    private long bytes;

    private AccessLog() {
        this.file = null;
        this.maxBytes = 0;
        this.keep = 0;
        this.onDrop = () -> {};
        this.queue = null;
        this.writer = null;
    }

    private AccessLog(Path file, long maxBytes, int keep, Runnable onDrop) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.onDrop = onDrop;
        this.queue = new ArrayBlockingQueue<>(BUFFER);
        open();
        this.running = true;
        this.writer = Thread.ofPlatform().daemon().name("recops-access-log").start(this::drain);
    }

    /**
     * Opens (appending) or creates {@code file}.
     *
     * @param maxBytes rotate when the file would grow past this, at least 1 KiB
     * @param keep rotated files kept, 0..100
     * @param onDrop called once per dropped line (for a metric)
     */
    public static AccessLog open(Path file, long maxBytes, int keep, Runnable onDrop) throws IOException {
        Objects.requireNonNull(file, "file");
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("access log size limit must be at least 1 KiB");
        }
        if (keep < 0 || keep > 100) {
            throw new IllegalArgumentException("access log files kept must be in 0..100");
        }
        return new AccessLog(file, maxBytes, keep, Objects.requireNonNull(onDrop, "onDrop"));
    }

    /** Queues one line; never blocks. */
    public void log(Entry entry) {
        if (queue == null) {
            return;
        }
        if (!running || !queue.offer(entry)) {
            dropped.incrementAndGet();
            onDrop.run();
        }
    }

    /** Lines dropped because the writer could not keep up or could not write them (or after close). */
    public long dropped() {
        return dropped.get();
    }

    private void drain() {
        while (running || !queue.isEmpty()) {
            Entry first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first == null) {
                continue;
            }
            int pending = 0; // written to the buffer, not yet to the file
            for (Entry e = first; e != null; e = queue.poll()) {
                try {
                    write(e);
                    pending++;
                } catch (IOException x) {
                    lost(1, x);
                }
            }
            try {
                out.flush();
                failing = false;
            } catch (IOException x) {
                lost(pending, x);
            }
        }
    }

    /** Lines that could not be written (a full disk, a removed directory) are dropped lines too, counted as such. */
    private void lost(int lines, IOException why) {
        dropped.addAndGet(lines);
        for (int i = 0; i < lines; i++) {
            onDrop.run();
        }
        if (!failing) { // once per spell of failures, not once per line
            LOG.log(Level.WARNING, "cannot write access log " + file + ": " + why.getMessage() + "; lines are dropped and counted until it can");
            failing = true;
        }
    }

    private void write(Entry e) throws IOException {
        String line = format(e);
        if (bytes + line.length() > maxBytes && bytes > 0) {
            rotate();
        }
        out.write(line);
        bytes += line.getBytes(StandardCharsets.UTF_8).length;
    }

    static String format(Entry e) throws IOException {
        StringWriter s = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(s)) {
            g.writeStartObject();
            g.writeStringField("ts", TS.format(e.ts()));
            g.writeStringField("request_id", e.requestId());
            g.writeStringField("endpoint", e.endpoint());
            g.writeStringField("model", e.model());
            g.writeStringField("version", e.version());
            g.writeNumberField("status", e.status());
            g.writeNumberField("latency_ms", round(e.latencyMs()));
            g.writeNumberField("queue_ms", round(e.queueMs()));
            g.writeNumberField("inference_ms", round(e.inferenceMs()));
            g.writeNumberField("batch_size", e.batchSize());
            g.writeNumberField("k", e.k());
            g.writeNumberField("query_tokens", e.queryTokens());
            g.writeNumberField("results", e.results());
            g.writeBooleanField("degraded", e.degraded());
            if (e.error().isEmpty()) {
                g.writeNullField("error");
            } else {
                g.writeStringField("error", e.error());
            }
            if (!e.cache().isEmpty()) {
                g.writeStringField("cache", e.cache());
            }
            g.writeEndObject();
        }
        return s.append('\n').toString();
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private void open() throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
        bytes = Files.size(file);
    }

    private void rotate() throws IOException {
        out.close();
        if (keep == 0) {
            Files.deleteIfExists(file);
        } else {
            Files.deleteIfExists(rotated(keep));
            for (int i = keep - 1; i >= 1; i--) {
                if (Files.exists(rotated(i))) {
                    Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    /** Writes what is queued, waiting at most {@code timeout}, then closes the file. */
    public void close(Duration timeout) {
        if (writer == null) {
            return;
        }
        running = false;
        try {
            writer.join(timeout);
            out.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot close access log " + file + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
