package dev.recops.engine.serve;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {
    private final AtomicLong now = new AtomicLong();
    private final RateLimiter limiter = new RateLimiter(10, 3, now::get);

    @Test
    void aBurstPassesThenTheRateHoldsPerClient() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.acquire("a")).isZero();
        }
        long wait = limiter.acquire("a");
        assertThat(wait).as("a token every 100 ms").isEqualTo(100_000_000L);
        assertThat(limiter.acquire("b")).as("another client has its own bucket").isZero();
        now.addAndGet(100_000_000L);
        assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("a")).isPositive();
    }

    @Test
    void manyClientsDoNotGrowMemoryWithoutBound() {
        for (int i = 0; i < RateLimiter.MAX_CLIENTS * 3; i++) {
            limiter.acquire("client-" + i);
            now.addAndGet(1_000_000_000L);
        }
        assertThat(limiter.acquire("late")).isZero();
        assertThat(limiter.clients()).isLessThanOrEqualTo(RateLimiter.MAX_CLIENTS + 1);
    }
}
