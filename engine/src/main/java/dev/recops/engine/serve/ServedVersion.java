package dev.recops.engine.serve;

import dev.recops.engine.batch.Batcher;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ModelVersion;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A version that can serve: its encoder, batcher, circuit breaker and query cache, and its index
 * of the catalog served. A catalog reload gives a version a new index ({@link #withIndex}); the
 * encoder, batcher, breaker, query cache and leases stay shared.
 *
 * <p>A request holds a {@link Lease} on the version it chose for as long as it uses it. Unloading
 * retires the version (no new lease), waits for the leases held, and only then frees the model,
 * so a request that chose a version is never failed by its unloading.
 */
final class ServedVersion {
    private final ModelVersion version;
    private final Encoder encoder;
    private final Batcher batcher;
    private final CircuitBreaker breaker;
    private final CatalogIndex index;
    private final Leases leases;
    private final QueryCache queries;

    ServedVersion(ModelVersion version, Encoder encoder, Batcher batcher, CircuitBreaker breaker, CatalogIndex index, QueryCache queries) {
        this(version, encoder, batcher, breaker, index, new Leases(), queries);
    }

    private ServedVersion(ModelVersion version, Encoder encoder, Batcher batcher, CircuitBreaker breaker, CatalogIndex index, Leases leases,
                          QueryCache queries) {
        this.version = version;
        this.encoder = encoder;
        this.batcher = batcher;
        this.breaker = breaker;
        this.index = index;
        this.leases = leases;
        this.queries = queries;
    }

    /** This version's query vectors; a reloaded version has a new, empty one. */
    QueryCache queries() {
        return queries;
    }

    ModelVersion version() {
        return version;
    }

    String name() {
        return version.version();
    }

    Encoder encoder() {
        return encoder;
    }

    Batcher batcher() {
        return batcher;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    CatalogIndex index() {
        return index;
    }

    /** The same version over another catalog index; leases and model are shared. */
    ServedVersion withIndex(CatalogIndex next) {
        return new ServedVersion(version, encoder, batcher, breaker, next, leases, queries);
    }

    /** A lease on this version, or null once it is retired (unloading): choose again. */
    Lease lease() {
        return leases.acquire() ? new Lease(this) : null;
    }

    /**
     * Takes no new lease, waits up to {@code timeout} for the leases held, then stops the batcher
     * (what it queued finishes) and frees the model if no inference can still be running.
     *
     * @return false when leases or inference outlived the timeout (the model is then not freed:
     *     leaking it is better than crashing a native call in progress)
     */
    boolean retire(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean released = leases.retireAndAwait(deadline);
        if (batcher.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))) && released) {
            encoder.close();
            index.close();
            return true;
        }
        return false;
    }

    /** A request's hold on a version; release it exactly once (try-with-resources). */
    static final class Lease implements AutoCloseable {
        private final ServedVersion version;
        private boolean released;

        private Lease(ServedVersion version) {
            this.version = version;
        }

        ServedVersion version() {
            return version;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                version.leases.release();
            }
        }
    }

    /** The lease count of one version, shared by all its indexes. */
    private static final class Leases {
        private int held;
        private boolean retired;

        synchronized boolean acquire() {
            if (retired) {
                return false;
            }
            held++;
            return true;
        }

        synchronized void release() {
            if (--held == 0 && retired) {
                notifyAll();
            }
        }

        /** @return true when no lease was held by the deadline ({@link System#nanoTime()}) */
        synchronized boolean retireAndAwait(long deadlineNanos) {
            retired = true;
            for (long left = deadlineNanos - System.nanoTime(); held > 0 && left > 0; left = deadlineNanos - System.nanoTime()) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return held == 0;
        }
    }
}
