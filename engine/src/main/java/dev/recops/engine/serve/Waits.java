package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.batch.Batcher;
import dev.recops.engine.telemetry.ServerMetrics;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Requests waiting for their batched model results: each waits once for its answer or its
 * deadline, and one thread asks, every {@link #CALLER_CHECK_NANOS}, whether the callers of the
 * requests that have waited that long are still there, withdrawing the work of those who left.
 *
 * <p>Why one thread and not each request asking for itself: a request that woke every 10 ms to
 * ask cost a timed park, a wake-up and a {@code TimeoutException} each time, so the cost of
 * waiting grew with the queue. On one CPU at 400 requests/s a queue of 300 made 30,000 wake-ups
 * a second, which took a third of the CPU from the model's calls; the calls slowed, the queue
 * stayed, and the server stayed in that state at a rate it served at 14 ms p50 otherwise
 * (docs/performance.md, "A queue that cost CPU"). Now a waiting request costs nothing until it
 * is answered, late, or abandoned.
 */
final class Waits implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Waits.class.getName());
    /** How long a request waits before its caller is watched, and how often the watch asks. */
    static final long CALLER_CHECK_NANOS = 10_000_000;

    private record Watched(CompletableFuture<Batcher.Result> future, BooleanSupplier callerGone, String version) {}

    private final ServerMetrics metrics;
    private final Set<Watched> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService checker =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("recops-caller-watch").factory());

    Waits(ServerMetrics metrics) {
        this.metrics = metrics;
        checker.scheduleWithFixedDelay(this::check, CALLER_CHECK_NANOS, CALLER_CHECK_NANOS, TimeUnit.NANOSECONDS);
    }

    /**
     * Waits for a batched result until the deadline; a late or abandoned request is withdrawn
     * from the queue. {@code callerGone} is first asked on this thread, after
     * {@link #CALLER_CHECK_NANOS} (which starts {@link ClientWatch}), then by the watch.
     */
    Batcher.Result await(ServedVersion v, CompletableFuture<Batcher.Result> future, long deadlineNanos, BooleanSupplier callerGone) {
        Watched w = null;
        try {
            if (deadlineNanos - System.nanoTime() > CALLER_CHECK_NANOS) {
                try {
                    return future.get(CALLER_CHECK_NANOS, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // waited long enough to watch its caller
                }
                if (callerGone.getAsBoolean()) {
                    throw withdraw(future, v.version().id());
                }
                w = new Watched(future, callerGone, v.version().id());
                watched.add(w);
            }
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            metrics.deadlineWhileWaiting(v.version().name(), v.name());
            throw new RecopsException.DeadlineExceeded("deadline_exceeded", v.version().id() + " did not answer within the request's deadline");
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new RecopsException.Unavailable("interrupted", "the request was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RecopsException re) {
                throw re;
            }
            throw new RecopsException.Failure("inference_failed", v.version().id() + ": inference failed: " + e.getCause(), e.getCause());
        } finally {
            if (w != null) {
                watched.remove(w);
            }
        }
    }

    private void check() {
        for (Watched w : watched) {
            try {
                if (!w.future().isDone() && w.callerGone().getAsBoolean()) {
                    withdraw(w.future(), w.version());
                }
            } catch (RuntimeException e) { // a thrown exception would end the schedule
                LOG.log(Level.FINE, "cannot tell whether a caller is still there", e);
            }
        }
    }

    /** Withdraws the request from the queue (the batcher skips what is done). */
    private static RecopsException.Cancelled withdraw(CompletableFuture<Batcher.Result> future, String version) {
        RecopsException.Cancelled gone = new RecopsException.Cancelled("client_closed",
                "the client closed the connection while the request waited for " + version);
        future.completeExceptionally(gone);
        return gone;
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
