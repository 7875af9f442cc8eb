package dev.recops.engine.serve;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per client: {@code perSecond} requests a second on average, up to {@code burst}
 * at once. A refused request learns how long until its next token (for {@code Retry-After}).
 * Buckets of clients gone quiet are dropped when the map grows past {@value #MAX_CLIENTS}, so a
 * flood of addresses cannot grow memory without bound. Thread-safe.
 */
public final class RateLimiter {
    static final int MAX_CLIENTS = 10_000;

    private static final class Bucket {
        double tokens;
        long updated;

        Bucket(double tokens, long updated) {
            this.tokens = tokens;
            this.updated = updated;
        }
    }

    private final double perNano;
    private final double burst;
    private final LongSupplier clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /**
     * @param perSecond average requests a second per client, > 0
     * @param burst requests a client may send at once, >= 1
     */
    public RateLimiter(double perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    RateLimiter(double perSecond, int burst, LongSupplier clock) {
        if (!(perSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("the rate limit needs a positive rate and a burst of at least 1");
        }
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.clock = clock;
    }

    /** Clients with a bucket now. */
    int clients() {
        return buckets.size();
    }

    /** @return 0 when the request may go, else the nanoseconds until the client's next token */
    public long acquire(String client) {
        long now = clock.getAsLong();
        if (buckets.size() > MAX_CLIENTS) {
            long full = (long) (burst / perNano);
            buckets.values().removeIf(b -> now - b.updated > full); // refilled anyway: nothing lost
        }
        Bucket b = buckets.computeIfAbsent(client, c -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.updated) * perNano);
            b.updated = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - b.tokens) / perNano);
        }
    }
}
