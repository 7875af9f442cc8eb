package dev.recops.engine.drill;

import dev.recops.engine.load.LoadRun;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.Target;
import dev.recops.engine.load.Workload;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a drill sees of its load: every request the load dropped counts, in the slot it was due in; a degraded answer is not lost. */
class ObservationsTest {

    /** A target that answers nothing until released: with one request in flight allowed, every later one is dropped. */
    private static final class Held implements Target {
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public Outcome call(Workload.Call call, long deadlineNanos) {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Outcome(200, "");
        }

        @Override
        public String describe() {
            return "held";
        }

    }

    @Test
    void requestsTheLoadDroppedAreLostInTheSlotsTheyWereDueIn() {
        Observations seen = new Observations(System.nanoTime());
        Held held = new Held();
        Workload w = Workload.build(new Workload.Spec(List.of("desk lamp"), Map.of(Workload.Endpoint.SEARCH, 1), 3, "", "search-encoder",
                List.of(), Optional.empty(), "/v1/search", List.of(), Workload.Order.SEQUENTIAL, 1, 1), "127.0.0.1");
        LoadRun run = new LoadRun(seen.recording(held, TimeUnit.SECONDS.toNanos(5)), w,
                new LoadSpec(LoadSpec.Mode.OPEN, 50, LoadSpec.Arrivals.CONSTANT, 1, Duration.ofSeconds(1), Duration.ZERO, 1, Duration.ofSeconds(5)),
                Optional.empty(), p -> {});
        Thread releaser = Thread.ofPlatform().start(() -> {
            dev.recops.engine.Await.until("drops", () -> seen.window(0, Integer.MAX_VALUE).failures().getOrDefault("dropped", 0L) >= 10);
            held.release.countDown();
        });
        var r = run.run();
        releaser.interrupt();
        Observations.Window all = seen.window(0, Integer.MAX_VALUE);
        assertThat(r.dropped()).isPositive();
        assertThat(all.failures()).containsEntry("dropped", r.dropped());
        assertThat(all.requests()).as("answered and dropped: every request that was due").isEqualTo(r.sent() + r.dropped());
        // the drops of the first half second are in its slots, not at the end of the run
        assertThat(seen.window(0, 5).failures().getOrDefault("dropped", 0L)).isPositive();
    }

    @Test
    void aDegradedAnswerIsAnAnswerNotALoss() {
        Observations seen = new Observations(System.nanoTime());
        seen.request(System.nanoTime(), 3, new Target.Outcome(200, "", true));
        seen.request(System.nanoTime(), 3, new Target.Outcome(503, ""));
        Observations.Window w = seen.window(0, Integer.MAX_VALUE);
        assertThat(w.ok()).isEqualTo(1);
        assertThat(w.failures()).containsOnlyKeys("status_503");
    }
}
