package dev.recops.engine.batch;

import dev.recops.batching.BatchPolicy;
import dev.recops.engine.RecopsException;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Batching policy with a fake model that records each call and can be held. */
class BatcherTest {
    private final List<TokenizedBatch> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger shed = new AtomicInteger();
    private final AtomicInteger expired = new AtomicInteger();
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private final CountDownLatch firstCallStarted = new CountDownLatch(1);
    private Batcher batcher;

    /** Returns, for each row, a 1-element vector holding the row's first token id. */
    private float[][] model(TokenizedBatch b) {
        calls.add(b);
        firstCallStarted.countDown();
        try {
            hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        float[][] out = new float[b.size()][1];
        for (int i = 0; i < b.size(); i++) {
            out[i][0] = b.inputIds()[i * b.sequenceLength()];
        }
        return out;
    }

    private Batcher start(int maxBatch, Duration delay, int capacity, int workers) {
        batcher = new Batcher("test:1", this::model, new BatchPolicy(maxBatch, delay, capacity, workers),
                new Batcher.Observer() {
                    @Override
                    public void shed(String reason) {
                        shed.incrementAndGet();
                    }

                    @Override
                    public void expired() {
                        expired.incrementAndGet();
                    }
                });
        return batcher;
    }

    private static TokenizedText text(long id, int length) {
        long[] ids = new long[length];
        Arrays.fill(ids, id);
        long[] ones = new long[length];
        Arrays.fill(ones, 1);
        return new TokenizedText(ids, ones, new long[length]);
    }

    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @AfterEach
    void stop() {
        hold.countDown();
        if (batcher != null) {
            batcher.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void aLoneRequestRunsAtOnceWithoutWaitingForTheBatchDelay() throws Exception {
        start(16, Duration.ofSeconds(1), 8, 1);
        Batcher.Result r = batcher.submit(text(7, 3), in(Duration.ofSeconds(5))).get(900, TimeUnit.MILLISECONDS);
        assertThat(r.vector()[0]).isEqualTo(7f);
        assertThat(r.batchSize()).isEqualTo(1);
        assertThat(r.tokens()).isEqualTo(3);
    }

    @Test
    void requestsQueuedWhileTheWorkerIsBusyRideInOneBatch() throws Exception {
        hold = new CountDownLatch(1);
        start(16, Duration.ZERO, 64, 1);
        CompletableFuture<Batcher.Result> first = batcher.submit(text(1, 4), in(Duration.ofSeconds(5)));
        assertThat(firstCallStarted.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Batcher.Result>> rest = new ArrayList<>();
        for (int i = 2; i <= 9; i++) {
            rest.add(batcher.submit(text(i, 4), in(Duration.ofSeconds(5))));
        }
        hold.countDown();
        first.get(5, TimeUnit.SECONDS);
        for (int i = 0; i < rest.size(); i++) {
            Batcher.Result r = rest.get(i).get(5, TimeUnit.SECONDS);
            assertThat(r.vector()[0]).as("each caller gets its own row").isEqualTo(i + 2f);
            assertThat(r.batchSize()).isEqualTo(8);
        }
        assertThat(calls).extracting(TokenizedBatch::size).containsExactly(1, 8);
    }

    @Test
    void textsOfVeryDifferentLengthsAreNotPaddedTogether() throws Exception {
        hold = new CountDownLatch(1);
        start(16, Duration.ZERO, 64, 1);
        CompletableFuture<Batcher.Result> blocker = batcher.submit(text(1, 4), in(Duration.ofSeconds(5)));
        assertThat(firstCallStarted.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Batcher.Result>> mixed = List.of(
                batcher.submit(text(2, 5), in(Duration.ofSeconds(5))),
                batcher.submit(text(3, 60), in(Duration.ofSeconds(5))),
                batcher.submit(text(4, 6), in(Duration.ofSeconds(5))),
                batcher.submit(text(5, 64), in(Duration.ofSeconds(5))));
        hold.countDown();
        blocker.get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Batcher.Result> f : mixed) {
            f.get(5, TimeUnit.SECONDS);
        }
        assertThat(calls.subList(1, calls.size())).extracting(TokenizedBatch::sequenceLength).containsExactlyInAnyOrder(6, 64);
    }

    @Test
    void aFullQueueShedsAtOnceWithOverloaded() throws Exception {
        hold = new CountDownLatch(1);
        start(1, Duration.ZERO, 2, 1);
        batcher.submit(text(1, 3), in(Duration.ofSeconds(5)));
        assertThat(firstCallStarted.await(5, TimeUnit.SECONDS)).isTrue();
        batcher.submit(text(2, 3), in(Duration.ofSeconds(5)));
        batcher.submit(text(3, 3), in(Duration.ofSeconds(5)));
        assertThatThrownBy(() -> batcher.submit(text(4, 3), in(Duration.ofSeconds(5))))
                .isInstanceOfSatisfying(RecopsException.Unavailable.class, e -> assertThat(e.code()).isEqualTo("overloaded"));
        assertThat(shed.get()).isEqualTo(1);
        assertThat(batcher.queueDepth()).isEqualTo(2);
    }

    @Test
    void requestsThatExpireInTheQueueAreAnswered504AndNeverComputed() throws Exception {
        hold = new CountDownLatch(1);
        start(16, Duration.ZERO, 8, 1);
        CompletableFuture<Batcher.Result> blocker = batcher.submit(text(1, 3), in(Duration.ofSeconds(5)));
        assertThat(firstCallStarted.await(5, TimeUnit.SECONDS)).isTrue();
        long lateDeadline = in(Duration.ofMillis(20));
        CompletableFuture<Batcher.Result> late = batcher.submit(text(2, 3), lateDeadline);
        while (System.nanoTime() <= lateDeadline) { // its deadline passes while it waits behind the blocker
            Thread.sleep(5);
        }
        hold.countDown();
        blocker.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(RecopsException.DeadlineExceeded.class);
        assertThat(expired.get()).isEqualTo(1);
        assertThat(calls).hasSize(1);
    }

    @Test
    void aRequestWithdrawnByItsCallerIsNotComputed() throws Exception {
        hold = new CountDownLatch(1);
        start(16, Duration.ZERO, 8, 1);
        CompletableFuture<Batcher.Result> blocker = batcher.submit(text(1, 3), in(Duration.ofSeconds(5)));
        assertThat(firstCallStarted.await(5, TimeUnit.SECONDS)).isTrue();
        batcher.submit(text(2, 3), in(Duration.ofSeconds(5))).cancel(false);
        CompletableFuture<Batcher.Result> kept = batcher.submit(text(3, 3), in(Duration.ofSeconds(5)));
        hold.countDown();
        blocker.get(5, TimeUnit.SECONDS);
        assertThat(kept.get(5, TimeUnit.SECONDS).vector()[0]).isEqualTo(3f);
        assertThat(calls).extracting(TokenizedBatch::size).containsExactly(1, 1);
    }

    @Test
    void aDeadlineThatCannotBeMetIsShedAtAdmission() throws Exception {
        start(1, Duration.ZERO, 64, 1);
        hold = new CountDownLatch(0);
        batcher.submit(text(1, 3), in(Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS); // measures one call
        assertThatThrownBy(() -> batcher.submit(text(2, 3), System.nanoTime() - 1))
                .isInstanceOfSatisfying(RecopsException.Unavailable.class, e -> assertThat(e.code()).isEqualTo("deadline_unreachable"));
    }

    @Test
    void aModelThatWasSlowOnceIsTriedAgainWhenAWorkerIsFreeRatherThanRefusedForGood() throws Exception {
        AtomicInteger n = new AtomicInteger();
        batcher = new Batcher("test:slow-once", b -> {
            if (n.incrementAndGet() == 1) {
                try {
                    Thread.sleep(1_000); // an injected latency fault, say
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new float[b.size()][1];
        }, new BatchPolicy(1, Duration.ZERO, 8, 1), Batcher.Observer.NONE);
        batcher.submit(text(1, 3), in(Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS); // the estimate is now a second
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (batcher.busyWorkers() > 0 && System.nanoTime() < until) { // it finishes the call it answered from
            Thread.onSpinWait();
        }
        // 900 ms is less than the estimate, but nothing is queued and a worker is free: it is admitted,
        // runs, and is fast again (the margin is for a busy machine, never what is judged)
        assertThat(batcher.submit(text(2, 3), in(Duration.ofMillis(900))).get(5, TimeUnit.SECONDS).vector()).hasSize(1);
        assertThat(n.get()).as("the model was called again").isEqualTo(2);
    }

    /** 64 long texts queued behind a held call: under a 256-token budget every call stays within it, and every text is answered. */
    @Test
    void aTokenBudgetSplitsABatchOfLongTextsIntoCallsWithinIt() throws Exception {
        hold = new CountDownLatch(1);
        batcher = new Batcher("test:tokens", this::model, new BatchPolicy(64, Duration.ZERO, 128, 1, 256), Batcher.Observer.NONE);
        CompletableFuture<Batcher.Result> blocker = batcher.submit(text(1, 4), in(Duration.ofSeconds(10)));
        assertThat(firstCallStarted.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Batcher.Result>> long64 = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            long64.add(batcher.submit(text(10 + i, 40 + i % 24), in(Duration.ofSeconds(10))));
        }
        hold.countDown();
        blocker.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 64; i++) {
            assertThat(long64.get(i).get(10, TimeUnit.SECONDS).vector()[0]).isEqualTo(10 + i);
        }
        assertThat(calls).hasSizeGreaterThan(2);
        for (TokenizedBatch b : calls) {
            assertThat(b.size() * b.sequenceLength()).isLessThanOrEqualTo(256);
        }
    }

    @Test
    void aModelFailureFailsItsBatchAndTheWorkerGoesOn() throws Exception {
        AtomicInteger n = new AtomicInteger();
        batcher = new Batcher("test:2", b -> {
            if (n.incrementAndGet() == 1) {
                throw new IllegalStateException("boom");
            }
            return new float[b.size()][1];
        }, new BatchPolicy(4, Duration.ZERO, 8, 1), Batcher.Observer.NONE);
        assertThatThrownBy(() -> batcher.submit(text(1, 3), in(Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RecopsException.Failure.class)
                .hasMessageContaining("boom");
        assertThat(batcher.submit(text(1, 3), in(Duration.ofSeconds(5))).get(5, TimeUnit.SECONDS).vector()).hasSize(1);
    }

    @Test
    void closeFinishesWhatIsQueuedAndRefusesNewWork() throws Exception {
        start(2, Duration.ZERO, 8, 1);
        CompletableFuture<Batcher.Result> queued = batcher.submit(text(1, 3), in(Duration.ofSeconds(5)));
        assertThat(batcher.close(Duration.ofSeconds(5))).isTrue();
        assertThat(queued).isCompleted();
        assertThatThrownBy(() -> batcher.submit(text(2, 3), in(Duration.ofSeconds(5))))
                .isInstanceOf(RecopsException.Unavailable.class);
    }

    @Test
    void backgroundWorkWaitsForQueriesAndRunsInSmallCalls() throws Exception {
        start(32, Duration.ZERO, 64, 1);
        hold = new CountDownLatch(1);
        CompletableFuture<Batcher.Result> first = batcher.submit(text(100, 4), in(Duration.ofSeconds(10)));
        assertThat(firstCallStarted.await(10, TimeUnit.SECONDS)).isTrue(); // the only worker is busy
        List<CompletableFuture<Batcher.Result>> background = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            background.add(batcher.submitBackground(text(i, 4)));
        }
        CompletableFuture<Batcher.Result> query = batcher.submit(text(200, 4), in(Duration.ofSeconds(10)));
        hold.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS).vector()[0]).isEqualTo(100f);
        assertThat(query.get(10, TimeUnit.SECONDS).vector()[0]).isEqualTo(200f);
        for (int i = 0; i < background.size(); i++) {
            assertThat(background.get(i).get(10, TimeUnit.SECONDS).vector()[0]).isEqualTo(i + 1f);
        }
        assertThat(calls.get(1).inputIds()[0]).as("the query queued after the background work ran before it").isEqualTo(200L);
        assertThat(calls.subList(2, calls.size())).allSatisfy(c -> assertThat(c.size()).isLessThanOrEqualTo(Batcher.BACKGROUND_BATCH));
        assertThat(calls.subList(2, calls.size()).stream().mapToInt(TokenizedBatch::size).sum()).isEqualTo(20);
    }

    @Test
    void closingFailsTheBackgroundWorkNotStarted() throws Exception {
        start(32, Duration.ZERO, 64, 1);
        hold = new CountDownLatch(1);
        batcher.submit(text(100, 4), in(Duration.ofSeconds(10)));
        assertThat(firstCallStarted.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Batcher.Result> waiting = batcher.submitBackground(text(1, 4));
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> batcher.close(Duration.ofSeconds(10)));
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RecopsException.Unavailable.class);
        hold.countDown();
        assertThat(closing.get(10, TimeUnit.SECONDS)).isTrue();
    }
}
