package dev.recops.engine.serve;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Injected faults end when they are cleared, including a call waiting in them right now. */
class FaultsTest {

    @Test
    void clearingAStallEndsTheStallInProgress() throws Exception {
        Faults faults = new Faults();
        faults.inject(new Faults.Fault("2", Duration.ZERO, 0, true, Instant.now().plus(Duration.ofHours(1))));
        CompletableFuture<float[][]> call = CompletableFuture.supplyAsync(() -> faults.around("2", () -> new float[][] {{1f}}),
                r -> Thread.ofPlatform().start(r));
        dev.recops.engine.Await.until("the call waits in the stall", () -> call.isDone() || stalled(faults));

        assertThat(faults.clear("")).isEqualTo(1);
        // Before the fix the call slept until the stall's expiry, an hour away.
        assertThat(call.get(60, TimeUnit.SECONDS)[0][0]).isEqualTo(1f);
    }

    @Test
    void replacingALatencyFaultEndsTheWaitOfTheOldOne() throws Exception {
        Faults faults = new Faults();
        faults.inject(new Faults.Fault("1", Duration.ofSeconds(60), 0, false, Instant.now().plus(Duration.ofHours(1))));
        CompletableFuture<float[][]> call = CompletableFuture.supplyAsync(() -> faults.around("1", () -> new float[][] {{2f}}),
                r -> Thread.ofPlatform().start(r));
        dev.recops.engine.Await.until("the call waits in the latency", () -> call.isDone() || stalled(faults));
        faults.clear("1");
        assertThat(call.get(60, TimeUnit.SECONDS)[0][0]).isEqualTo(2f);
    }

    /** True once a thread waits on the faults' monitor (the call is inside the fault). */
    private static boolean stalled(Faults faults) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getState() == Thread.State.TIMED_WAITING && java.util.Arrays.stream(t.getStackTrace())
                        .anyMatch(e -> e.getClassName().equals(Faults.class.getName()) && e.getMethodName().equals("awaitWhileInForce")));
    }
}
