package dev.recops.engine.serve;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(10, 3, 0.5, Duration.ofSeconds(5), now::get);

    @Test
    void aFewFailuresAmongManySuccessesKeepItClosed() {
        for (int i = 0; i < 8; i++) {
            breaker.success();
        }
        breaker.failure();
        breaker.failure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allow()).isTrue();
    }

    @Test
    void opensOnFailuresThenProbesOnceAfterTheWaitAndClosesOnSuccess() {
        for (int i = 0; i < 3; i++) {
            breaker.failure();
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allow()).isFalse();
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(breaker.allow()).as("the probe").isTrue();
        assertThat(breaker.allow()).as("only one probe at a time").isFalse();
        breaker.success();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allow()).isTrue();
    }

    @Test
    void aFailedProbeOpensItAgainAndAnAbandonedProbeLetsAnotherThrough() {
        for (int i = 0; i < 3; i++) {
            breaker.failure();
        }
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        assertThat(breaker.allow()).isTrue();
        breaker.abandon();
        assertThat(breaker.allow()).isTrue();
        breaker.failure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allow()).isFalse();
    }
}
