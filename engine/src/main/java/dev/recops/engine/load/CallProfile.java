package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;

/**
 * The model's service-time profile: the time of one model call over the texts in it, their
 * padded length, the ONNX Runtime threads of a call and the workers calling at once, measured
 * in-process (no HTTP, no queue), each point as a distribution. What a simulation of the
 * batcher draws call times from ({@code recops bench --profile}).
 */
public final class CallProfile {

    /**
     * The points to measure: every combination, {@code calls} calls by each worker per point
     * after two not counted.
     */
    public record Grid(List<Integer> batches, List<Integer> tokens, List<Integer> threads, List<Integer> workers, int calls) {
        public static final Grid DEFAULT = new Grid(List.of(1, 2, 4, 8, 16, 32), List.of(8, 16, 32, 64), List.of(1, 2), List.of(1, 2), 20);

        public int size() {
            return batches.size() * tokens.size() * threads.size() * workers.size();
        }
    }

    /**
     * One point: {@code batch} texts of {@code tokens} tokens each per call, {@code threads}
     * intra-op threads per call, {@code workers} calling at once; call times in ms over every
     * worker's calls; {@code cores} the processors the JVM had.
     */
    public record Point(int batch, int tokens, int threads, int workers, int cores, int calls, double meanMs, double p50Ms, double p90Ms,
                        double p99Ms) {
        public int paddedTokens() {
            return batch * tokens;
        }
    }

    public static final String HEADER = "batch,tokens,padded_tokens,threads,workers,cores,calls,mean_ms,p50_ms,p90_ms,p99_ms";

    /** Told after each point. */
    public interface Progress {
        Progress NONE = (done, total, last) -> { };

        void point(int done, int total, Point last);
    }

    private CallProfile() {}

    /**
     * @param encoders opens the model with a given number of intra-op threads (closed after its points)
     */
    public static List<Point> measure(IntFunction<Encoder> encoders, Grid grid, Progress progress) {
        List<Point> points = new ArrayList<>();
        for (int threads : grid.threads()) {
            try (Encoder encoder = encoders.apply(threads)) {
                warm(encoder, grid);
                for (int workers : grid.workers()) {
                    for (int tokens : grid.tokens()) {
                        for (int batch : grid.batches()) {
                            points.add(point(encoder, batch, tokens, threads, workers, grid.calls()));
                            progress.point(points.size(), grid.size(), points.getLast());
                        }
                    }
                }
            } catch (Exception e) {
                throw e instanceof RuntimeException re ? re : new RecopsException.Failure("profile_failed", "closing the model: " + e, e);
            }
        }
        return points;
    }

    /**
     * Calls of every shape in the grid, once each, before any is timed: a freshly opened model's
     * first calls run slower (the JIT, ONNX Runtime's first allocations): the first point measured
     * (one text of 8 tokens) read 5.65 ms in one profile and 4.27 ms in another of the same model on
     * the same machine, where the points after it agreed within 5%.
     */
    private static void warm(Encoder encoder, Grid grid) {
        for (int tokens : grid.tokens()) {
            for (int batch : grid.batches()) {
                encoder.infer(TokenizedBatch.pad(Collections.nCopies(batch, text(tokens))));
            }
        }
    }

    private static Point point(Encoder encoder, int batch, int tokens, int threads, int workers, int calls) {
        TokenizedBatch input = TokenizedBatch.pad(Collections.nCopies(batch, text(tokens)));
        long[] nanos = new long[calls * workers];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        RuntimeException[] failure = new RuntimeException[1];
        for (int w = 0; w < workers; w++) {
            int slot = w;
            running.add(Thread.ofPlatform().name("recops-profile-" + w).start(() -> {
                try {
                    start.await();
                    encoder.infer(input); // not counted: the first calls of a shape pay for its allocation
                    encoder.infer(input);
                    for (int c = 0; c < calls; c++) {
                        long t0 = System.nanoTime();
                        encoder.infer(input);
                        nanos[slot * calls + c] = System.nanoTime() - t0;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failure[0] = e;
                }
            }));
        }
        start.countDown();
        for (Thread t : running) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RecopsException.Failure("interrupted", "the profile was interrupted", e);
            }
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new Point(batch, tokens, threads, workers, Runtime.getRuntime().availableProcessors(), sorted.length, Arrays.stream(sorted).average().orElse(0) / 1e6,
                at(sorted, 50), at(sorted, 90), at(sorted, 99));
    }

    private static double at(long[] sorted, double percentile) {
        int rank = (int) Math.ceil(percentile / 100 * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)] / 1e6;
    }

    /** A text of {@code tokens} tokens: the ids do not change the time of a call, its shape does. */
    private static TokenizedText text(int tokens) {
        long[] ids = new long[tokens];
        Arrays.fill(ids, 1000);
        long[] mask = new long[tokens];
        Arrays.fill(mask, 1);
        return new TokenizedText(ids, mask, new long[tokens]);
    }

    public static void writeCsv(Path file, List<Point> points) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (Point p : points) {
            b.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.4f%n", p.batch(), p.tokens(), p.paddedTokens(), p.threads(),
                    p.workers(), p.cores(), p.calls(), p.meanMs(), p.p50Ms(), p.p90Ms(), p.p99Ms()));
        }
        try {
            Files.writeString(file, b);
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
