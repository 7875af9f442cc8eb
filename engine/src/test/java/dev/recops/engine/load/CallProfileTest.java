package dev.recops.engine.load;

import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CallProfileTest {
    /** Counts calls by shape and thread count; takes no time. */
    private static Encoder fake(int threads, ConcurrentHashMap<String, AtomicInteger> calls, AtomicInteger closed) {
        return new Encoder() {
            public ModelVersion version() {
                return null;
            }

            public int dimension() {
                return 1;
            }

            public TokenizedText tokenizeOne(String text) {
                long[] ones = new long[text.length()];
                java.util.Arrays.fill(ones, 1);
                return new TokenizedText(ones, ones, new long[text.length()]);
            }

            public float[][] infer(TokenizedBatch batch) {
                calls.computeIfAbsent(batch.size() + "x" + batch.sequenceLength() + "@" + threads, k -> new AtomicInteger()).incrementAndGet();
                return new float[batch.size()][1];
            }

            public void close() {
                closed.incrementAndGet();
            }
        };
    }

    @Test
    void everyPointIsMeasuredByEveryWorkerAfterAWarmUpAndTwoCallsNotCountedAndWrittenAsCsv(@TempDir Path dir) throws Exception {
        ConcurrentHashMap<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        AtomicInteger closed = new AtomicInteger();
        CallProfile.Grid grid = new CallProfile.Grid(List.of(1, 4), List.of(8), List.of(1, 2), List.of(1, 2), 5);
        AtomicInteger told = new AtomicInteger();
        List<CallProfile.Point> points = CallProfile.measure(t -> fake(t, calls, closed), grid, (done, total, last) -> {
            assertThat(total).isEqualTo(8);
            told.set(done);
        });
        assertThat(points).hasSize(8);
        assertThat(told.get()).isEqualTo(8);
        assertThat(closed.get()).as("one encoder per thread count, closed after its points").isEqualTo(2);
        // every shape once to warm the model, then 1 worker: 2 + 5 calls; 2 workers: 2 x (2 + 5)
        assertThat(calls.get("4x8@2").get()).isEqualTo(1 + 7 + 14);
        assertThat(points).filteredOn(p -> p.workers() == 2).allSatisfy(p -> assertThat(p.calls()).isEqualTo(10));
        assertThat(points.getFirst().paddedTokens()).isEqualTo(8);
        Path csv = dir.resolve("profile.csv");
        CallProfile.writeCsv(csv, points);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.getFirst()).isEqualTo(CallProfile.HEADER);
        assertThat(lines).hasSize(9);
    }
}
