package dev.recops.engine.batch;

import dev.recops.batching.BatchPolicy;
import dev.recops.batching.BatchSimulation;
import dev.recops.batching.BatchSimulation.Arrival;
import dev.recops.batching.BatchSimulation.Fate;
import dev.recops.batching.BatchSimulation.Outcome;
import dev.recops.engine.model.TokenizedText;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

class BatchSimulationTest {
    private static final long MS = 1_000_000;
    private static final long SECOND = 1_000 * MS;

    private static List<Arrival> burst() {
        List<Arrival> a = new ArrayList<>(List.of(new Arrival(0, 5, SECOND)));
        for (int i = 0; i < 6; i++) {
            a.add(new Arrival(10 * MS, 5, SECOND));
        }
        return a;
    }

    @Test
    void requestsQueuedBehindABusyWorkerGoTogetherUpToTheBatchSize() {
        BatchSimulation.Result r = BatchSimulation.run(new BatchPolicy(4, Duration.ZERO, 64, 1), burst(), (n, tokens, running) -> 100 * MS);
        assertThat(r.batches()).containsExactly(1, 4, 2);
        assertThat(r.calls()).containsExactly(1, 4, 2);
        assertThat(r.outcomes()).extracting(Outcome::waitNanos).containsExactly(0L, 90 * MS, 90 * MS, 90 * MS, 90 * MS, 190 * MS, 190 * MS);
        assertThat(r.outcomes()).extracting(Outcome::latencyNanos)
                .containsExactly(100 * MS, 190 * MS, 190 * MS, 190 * MS, 190 * MS, 290 * MS, 290 * MS);
        assertThat(r.latencyMillis(50)).isEqualTo(190);
        assertThat(r.busyShare()).isEqualTo(300.0 / 300);
    }

    @Test
    void aWorkerWaitsToFillOnlyUnderLoad() {
        // 2 workers, both busy when the third and fourth requests are taken: the batch waits up to
        // 20 ms from its oldest request for more, and the fifth joins it
        List<Arrival> a = List.of(new Arrival(0, 5, SECOND), new Arrival(2 * MS, 5, SECOND), new Arrival(3 * MS, 5, SECOND),
                new Arrival(4 * MS, 5, SECOND), new Arrival(15 * MS, 5, SECOND));
        BatchSimulation.Result r = BatchSimulation.run(new BatchPolicy(8, Duration.ofMillis(20), 64, 2), a, (n, tokens, running) -> 10 * MS);
        assertThat(r.batches()).containsExactly(1, 1, 3);
        assertThat(r.outcomes().get(4).latencyNanos()).isEqualTo(23 * MS + 10 * MS - 15 * MS);
        // an idle second worker: the same arrivals at 1 worker's load never wait to fill
        List<Arrival> quiet = List.of(new Arrival(0, 5, SECOND), new Arrival(50 * MS, 5, SECOND));
        assertThat(BatchSimulation.run(new BatchPolicy(8, Duration.ofMillis(20), 64, 2), quiet, (n, tokens, running) -> 10 * MS).outcomes())
                .extracting(Outcome::latencyNanos).containsExactly(10 * MS, 10 * MS);
    }

    @Test
    void aFullQueueAndAnUnreachableDeadlineShedAtAdmissionAndALateRequestExpires() {
        List<Arrival> a = List.of(new Arrival(0, 5, SECOND), new Arrival(1 * MS, 5, SECOND), new Arrival(2 * MS, 5, SECOND),
                new Arrival(3 * MS, 5, SECOND), // the queue (2) is full
                new Arrival(150 * MS, 5, 50 * MS), // a batch takes 100 ms and one is running: it cannot finish in 50 ms
                new Arrival(160 * MS, 5, SECOND));
        BatchSimulation.Result r = BatchSimulation.run(new BatchPolicy(1, Duration.ZERO, 2, 1), a, (n, tokens, running) -> 100 * MS);
        assertThat(r.outcomes()).extracting(Outcome::fate).containsExactly(Fate.ANSWERED, Fate.ANSWERED, Fate.ANSWERED, Fate.SHED_QUEUE_FULL,
                Fate.SHED_DEADLINE, Fate.ANSWERED);
        // admitted on an empty queue with time to spare, then held up behind longer work: it expires in the queue
        List<Arrival> late = List.of(new Arrival(0, 5, SECOND), new Arrival(1 * MS, 5, 150 * MS));
        BatchSimulation.Result expired = BatchSimulation.run(new BatchPolicy(1, Duration.ZERO, 8, 1), late, (n, tokens, running) -> 200 * MS);
        assertThat(expired.outcomes().get(1).fate()).isEqualTo(Fate.EXPIRED);
    }

    @Test
    void overlappingCallsShareTheCpuForAsLongAsTheyOverlap() {
        // 10 ms alone, 20 ms when two workers call at once (one CPU shared fairly)
        BatchSimulation.CallTime oneCpu = (n, tokens, running) -> 10 * MS * running;
        BatchPolicy twoWorkers = new BatchPolicy(1, Duration.ZERO, 64, 2);
        assertThat(BatchSimulation.run(twoWorkers, List.of(new Arrival(0, 5, SECOND), new Arrival(50 * MS, 5, SECOND)), oneCpu).outcomes())
                .extracting(Outcome::latencyNanos).containsExactly(10 * MS, 10 * MS);
        assertThat(BatchSimulation.run(twoWorkers, List.of(new Arrival(0, 5, SECOND), new Arrival(0, 5, SECOND)), oneCpu).outcomes())
                .extracting(Outcome::latencyNanos).containsExactly(20 * MS, 20 * MS);
        // the first runs alone for half its work, then both at half pace: it ends at 15 ms, when the
        // second has done half of its own, which it finishes alone by 20 ms
        BatchSimulation.Result r = BatchSimulation.run(twoWorkers, List.of(new Arrival(0, 5, SECOND), new Arrival(5 * MS, 5, SECOND)), oneCpu);
        assertThat(r.outcomes()).extracting(Outcome::latencyNanos).containsExactly(15 * MS, 15 * MS);
        assertThat(r.busyShare()).isEqualTo((15.0 + 15.0) / (2 * 20.0));
    }

    @Test
    void shortAndLongTextsOfOneBatchGoInSeparateCallsWhenPaddingWouldCostMore() {
        List<Arrival> a = new ArrayList<>(List.of(new Arrival(0, 5, SECOND)));
        for (int i = 0; i < 8; i++) {
            a.add(new Arrival(MS, i < 4 ? 4 : 120, SECOND));
        }
        BatchSimulation.Result r = BatchSimulation.run(new BatchPolicy(8, Duration.ZERO, 64, 1), a, (n, tokens, running) -> (3 + tokens / 5) * MS);
        assertThat(r.batches()).containsExactly(1, 8);
        assertThat(r.calls()).containsExactly(1, 4, 4);
    }

    /**
     * The real batcher on the same arrivals and call time (a model that takes 100 ms a call): the
     * same batches. The first call holds until the burst is queued, so the burst comes during it
     * however slowly this machine runs the test; only batch sizes and lower bounds of the waits
     * are compared, since a real thread may run late, never early.
     */
    @Test
    void theRealBatcherMakesTheBatchesTheSimulationPredicts() throws Exception {
        List<Integer> calls = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch burstQueued = new java.util.concurrent.CountDownLatch(1);
        try (Batcher b = new Batcher("test:sim", batch -> {
            calls.add(batch.size());
            try {
                burstQueued.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LockSupport.parkNanos(100 * MS);
            return new float[batch.size()][1];
        }, new BatchPolicy(4, Duration.ZERO, 64, 1), Batcher.Observer.NONE)) {
            List<CompletableFuture<Batcher.Result>> answers = new ArrayList<>();
            answers.add(b.submit(text(), System.nanoTime() + SECOND * 30));
            dev.recops.engine.Await.until("the first call started", () -> !calls.isEmpty());
            for (int i = 0; i < 6; i++) {
                answers.add(b.submit(text(), System.nanoTime() + SECOND * 30));
            }
            burstQueued.countDown();
            List<Batcher.Result> results = new ArrayList<>();
            for (CompletableFuture<Batcher.Result> f : answers) {
                results.add(f.get(30, TimeUnit.SECONDS));
            }
            BatchSimulation.Result predicted = BatchSimulation.run(b.settings(), burst(), (n, tokens, running) -> 100 * MS);
            assertThat(calls).containsExactlyElementsOf(predicted.calls());
            assertThat(results).extracting(Batcher.Result::batchSize).containsExactlyElementsOf(predicted.outcomes().stream().map(Outcome::callSize).toList());
            // the last two waited behind a whole call started after they were queued: at least one call
            assertThat(results.subList(5, 7)).allSatisfy(x -> assertThat(x.queueNanos()).isGreaterThanOrEqualTo(100 * MS));
        }
    }

    private static TokenizedText text() {
        long[] ids = new long[5];
        Arrays.fill(ids, 7);
        long[] ones = new long[5];
        Arrays.fill(ones, 1);
        return new TokenizedText(ids, ones, new long[5]);
    }
}
