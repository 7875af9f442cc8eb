package dev.recops.engine.batch;

import dev.recops.batching.BatchPolicy;
import dev.recops.batching.CallCost;
import dev.recops.batching.Grouping;
import dev.recops.engine.RecopsException;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Groups single-text encode requests into model batches.
 *
 * <p>Policy, chosen so that batching never costs latency at low load:
 * <ul>
 *   <li>A worker that wakes for a request takes everything already queued, up to {@code maxBatch},
 *       and runs at once. Under load, requests accumulate while workers are busy, so batches grow
 *       by themselves.
 *   <li>A worker waits for the batch to fill (at most {@code maxDelay} from the oldest request's
 *       arrival) only under load: when it found more than one request queued and no other worker
 *       is idle. A lone request never waits, and an idle worker would take new arrivals at once.
 *   <li>Admission: a request is shed at once (never queued) when the queue is full, or when the
 *       estimated wait plus one batch exceeds its deadline.
 *   <li>Requests whose deadline passed, or whose caller gave up, are dropped before inference.
 *   <li>Background work ({@link #submitBackground}: products of a live catalog update) has its own
 *       queue. A background call starts only when no query is queued here and no query's model
 *       call runs anywhere in the process, at most one per core but one at a time in the process
 *       (the cores are shared by every version and the HTTP server), in calls of at most
 *       {@value #BACKGROUND_BATCH} texts, so a query waits at most for one short background call.
 *       Under saturation it still gets one call every {@value #BACKGROUND_STARVATION_MS} ms, so
 *       an update finishes. It has no deadline and is never shed: its queue makes the submitter
 *       wait instead.
 *   <li>A batch is split into calls of similar token length, choosing the split that costs least
 *       under a cost model learned from the calls so far (fixed cost per call plus cost per padded
 *       token; see {@link Grouping}), so short texts are not padded to a long one needlessly.
 * </ul>
 *
 * <p>Thread-safe. {@link #submit} never blocks.
 */
public final class Batcher implements AutoCloseable {

    /** The vector of one text and where its time went. Times in nanoseconds. */
    public record Result(float[] vector, int tokens, long queueNanos, long inferenceNanos, int batchSize) {}

    /** Hooks for metrics; called on worker and request threads, must be quick and thread-safe. */
    public interface Observer {
        Observer NONE = new Observer() {};

        /** A request was refused at admission; reason is {@code queue_full} or {@code deadline}. */
        default void shed(String reason) {}

        /** A queued request's deadline passed before inference; it was never computed. */
        default void expired() {}

        /** One model call finished. */
        default void batch(int size, int paddedTokens, long inferenceNanos) {}

        /** One request left the queue for inference after waiting this long. */
        default void dequeued(long queueNanos) {}
    }

    private static final class Pending {
        final TokenizedText text;
        final long enqueuedNanos;
        final long deadlineNanos;
        final CompletableFuture<Result> future = new CompletableFuture<>();

        Pending(TokenizedText text, long enqueuedNanos, long deadlineNanos) {
            this.text = text;
            this.enqueuedNanos = enqueuedNanos;
            this.deadlineNanos = deadlineNanos;
        }
    }

    /** Texts per background model call: small, so a query arriving meanwhile waits little. */
    static final int BACKGROUND_BATCH = 8;
    private static final int BACKGROUND_QUEUE = 256;
    static final long BACKGROUND_STARVATION_MS = 500;
    /** Query model calls running in the process, over every batcher: background work waits for none. */
    private static final AtomicInteger QUERY_CALLS = new AtomicInteger();
    /** One background call at a time in the process: it never takes more than one core from queries. */
    private static final Semaphore BACKGROUND_CALL = new Semaphore(1);

    private final String name;
    private final Function<TokenizedBatch, float[][]> model;
    private final BatchPolicy settings;
    private final Observer observer;
    private final BlockingQueue<Pending> queue;
    private final BlockingQueue<Pending> background = new ArrayBlockingQueue<>(BACKGROUND_QUEUE);
    private volatile long lastBackgroundNanos = System.nanoTime();
    /** Workers between taking work and finishing it; the others are free (waiting, or about to). */
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;
    /** Smoothed time a worker spends on one batch (all its calls), for admission; 0 until the first. */
    private volatile double batchNanosEwma;
    private final CallCost callCost = new CallCost();

    /**
     * @param name for thread names and messages, for example {@code search-encoder:2}
     * @param model runs one padded batch and returns one vector per row; called on worker threads
     */
    public Batcher(String name, Function<TokenizedBatch, float[][]> model, BatchPolicy settings, Observer observer) {
        this.name = Objects.requireNonNull(name, "name");
        this.model = Objects.requireNonNull(model, "model");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        for (int i = 0; i < settings.workers(); i++) {
            Thread t = Thread.ofPlatform().daemon().name("recops-batch-" + name + "-" + (i + 1)).unstarted(this::work);
            workers.add(t);
            t.start();
        }
    }

    public BatchPolicy settings() {
        return settings;
    }

    /** Requests waiting for a worker. */
    public int queueDepth() {
        return queue.size();
    }

    /**
     * Queues one text at background priority (see the class comment), waiting while the
     * background queue is full.
     *
     * @return completes with the vector, or exceptionally when the model fails or the batcher closes
     * @throws RecopsException.Unavailable when the batcher is closing
     * @throws InterruptedException while waiting for room
     */
    public CompletableFuture<Result> submitBackground(TokenizedText text) throws InterruptedException {
        Pending p = new Pending(text, System.nanoTime(), Long.MAX_VALUE);
        while (!background.offer(p, 50, TimeUnit.MILLISECONDS)) {
            if (!running) {
                throw new RecopsException.Unavailable("shutting_down", name + " is shutting down");
            }
        }
        if (!running && background.remove(p)) {
            throw new RecopsException.Unavailable("shutting_down", name + " is shutting down");
        }
        return p.future;
    }

    /**
     * Queues one tokenized text.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which the answer is useless
     * @return completes with the vector, or exceptionally with {@link RecopsException.DeadlineExceeded}
     *     (expired in the queue) or {@link RecopsException.Failure} (the model failed); cancel it to
     *     withdraw the request if it has not started
     * @throws RecopsException.Unavailable when shed: code {@code overloaded} (queue full) or
     *     {@code deadline_unreachable}
     */
    public CompletableFuture<Result> submit(TokenizedText text, long deadlineNanos) {
        long now = admit(deadlineNanos);
        Pending p = new Pending(text, now, deadlineNanos);
        if (!queue.offer(p)) {
            throw overloaded();
        }
        return p.future;
    }

    /**
     * The admission checks of {@link #submit} without queueing anything: lets a caller refuse a
     * request before spending work on it (reading its body, tokenizing).
     *
     * @return {@link System#nanoTime()} at the check
     * @throws RecopsException.Unavailable as {@link #submit} does
     */
    public long admit(long deadlineNanos) {
        if (!running) {
            throw new RecopsException.Unavailable("shutting_down", name + " is shutting down");
        }
        long now = System.nanoTime();
        int depth = queue.size();
        if (depth >= settings.queueCapacity()) {
            throw overloaded();
        }
        if (settings.deadlineUnreachable(depth, busyWorkers.get(), batchNanosEwma, now, deadlineNanos)) {
            observer.shed("deadline");
            throw new RecopsException.Unavailable("deadline_unreachable",
                    name + " cannot answer within the request's deadline at the current queue depth (" + depth + ")");
        }
        return now;
    }

    private RecopsException.Unavailable overloaded() {
        observer.shed("queue_full");
        return new RecopsException.Unavailable("overloaded", name + " is overloaded: " + settings.queueCapacity() + " requests already queued");
    }

    private void work() {
        List<Pending> batch = new ArrayList<>(settings.maxBatch());
        while (running || !queue.isEmpty() || !background.isEmpty()) {
            batch.clear();
            if (starved() && runBackground(batch, true)) {
                continue;
            }
            Pending first;
            try {
                // Background work waiting is picked up within this poll's timeout.
                first = queue.poll(background.isEmpty() ? 50 : 1, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first == null) {
                runBackground(batch, false);
                continue;
            }
            busyWorkers.incrementAndGet();
            try {
                batch.add(first);
                queue.drainTo(batch, settings.maxBatch() - 1);
                // Wait for more only under load: others are queued alongside and no worker is free.
                if (settings.waitsToFill(batch.size(), busyWorkers.get())) {
                    fill(batch, first.enqueuedNanos + settings.maxDelay().toNanos());
                }
                run(batch);
            } finally {
                busyWorkers.decrementAndGet();
            }
        }
    }

    /** Workers running a batch now (for tests and metrics). */
    public int busyWorkers() {
        return busyWorkers.get();
    }

    /** Background work has waited for queries longer than {@value #BACKGROUND_STARVATION_MS} ms. */
    private boolean starved() {
        return !background.isEmpty() && System.nanoTime() - lastBackgroundNanos > BACKGROUND_STARVATION_MS * 1_000_000;
    }

    /**
     * Runs one background call if background work waits, no query's model call runs in the
     * process (unless {@code starved}) and no other background call does.
     */
    private boolean runBackground(List<Pending> batch, boolean starved) {
        if (background.isEmpty() || (!starved && QUERY_CALLS.get() > 0) || !BACKGROUND_CALL.tryAcquire()) {
            return false;
        }
        busyWorkers.incrementAndGet();
        try {
            lastBackgroundNanos = System.nanoTime();
            // up to BACKGROUND_BATCH texts within the token budget (one thread at a time drains, so peek then poll is safe)
            int longest = 0;
            for (Pending next; batch.size() < BACKGROUND_BATCH && (next = background.peek()) != null; ) {
                longest = Math.max(longest, next.text.length());
                if (settings.maxTokens() > 0 && !batch.isEmpty() && (batch.size() + 1) * longest > settings.maxTokens()) {
                    break;
                }
                batch.add(background.poll());
            }
            batch.removeIf(p -> p.future.isDone());
            if (batch.isEmpty()) {
                return false;
            }
            batch.sort(Comparator.comparingInt(p -> p.text.length()));
            TokenizedBatch padded = TokenizedBatch.pad(batch.stream().map(p -> p.text).toList());
            long start = System.nanoTime();
            float[][] vectors = call(batch, padded);
            if (vectors == null) {
                return true;
            }
            long took = System.nanoTime() - start;
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                p.future.complete(new Result(vectors[i], p.text.length(), start - p.enqueuedNanos, took, batch.size()));
            }
            return true;
        } finally {
            lastBackgroundNanos = System.nanoTime();
            BACKGROUND_CALL.release();
            busyWorkers.decrementAndGet();
        }
    }

    private void fill(List<Pending> batch, long untilNanos) {
        try {
            while (batch.size() < settings.maxBatch()) {
                long left = untilNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                Pending p = queue.poll(left, TimeUnit.NANOSECONDS);
                if (p == null) {
                    return;
                }
                batch.add(p);
                queue.drainTo(batch, settings.maxBatch() - batch.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(List<Pending> batch) {
        long now = System.nanoTime();
        List<Pending> live = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            if (p.future.isDone()) {
                continue; // the caller gave up (timeout or disconnect): never computed
            }
            if (now > p.deadlineNanos) {
                observer.expired();
                p.future.completeExceptionally(new RecopsException.DeadlineExceeded("deadline_exceeded",
                        "the request's deadline passed after " + Duration.ofNanos(now - p.enqueuedNanos).toMillis()
                                + " ms in the " + name + " queue"));
                continue;
            }
            observer.dequeued(now - p.enqueuedNanos);
            live.add(p);
        }
        live.sort(Comparator.comparingInt(p -> p.text.length()));
        int[] lengths = live.stream().mapToInt(p -> p.text.length()).toArray();
        int from = 0;
        for (int to : Grouping.split(lengths, callCost.fixedTokens(), settings.maxTokens())) {
            infer(live.subList(from, to), now, to == live.size());
            from = to;
        }
    }

    private void infer(List<Pending> group, long dequeuedNanos, boolean lastOfBatch) {
        TokenizedBatch batch = TokenizedBatch.pad(group.stream().map(p -> p.text).toList());
        long start = System.nanoTime();
        float[][] vectors;
        QUERY_CALLS.incrementAndGet();
        try {
            vectors = call(group, batch);
        } finally {
            QUERY_CALLS.decrementAndGet();
        }
        if (vectors == null) {
            return;
        }
        long took = System.nanoTime() - start;
        int paddedTokens = batch.size() * batch.sequenceLength();
        callCost.record(paddedTokens, took);
        if (lastOfBatch) { // before answering, so a caller's next request sees the estimate
            long batchNanos = System.nanoTime() - dequeuedNanos;
            batchNanosEwma = BatchPolicy.smoothed(batchNanosEwma, batchNanos);
        }
        observer.batch(group.size(), paddedTokens, took);
        for (int i = 0; i < group.size(); i++) {
            Pending p = group.get(i);
            p.future.complete(new Result(vectors[i], p.text.length(), dequeuedNanos - p.enqueuedNanos, took, group.size()));
        }
    }

    /** One model call; on failure every request of the group fails with the reason, and null is returned. */
    private float[][] call(List<Pending> group, TokenizedBatch batch) {
        try {
            return model.apply(batch);
        } catch (RuntimeException e) {
            RecopsException failure = e instanceof RecopsException re ? re
                    : new RecopsException.Failure("inference_failed", name + ": inference failed: " + e, e);
            group.forEach(p -> p.future.completeExceptionally(failure));
            return null;
        }
    }

    /**
     * Stops taking requests, lets the workers finish what is queued (each request still bounded
     * by its deadline), and waits for them up to {@code timeout}.
     *
     * @return true when every worker has stopped, so the model may be freed
     */
    public boolean close(Duration timeout) {
        running = false;
        List<Pending> dropped = new ArrayList<>();
        background.drainTo(dropped);
        dropped.forEach(p -> p.future.completeExceptionally(new RecopsException.Unavailable("shutting_down", name + " is shutting down")));
        long until = System.nanoTime() + timeout.toNanos();
        for (Thread t : workers) {
            try {
                long left = until - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
