package dev.recops.engine.drill;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The recovery measurement on recorded slot verdicts (100 ms slots), as a drill records them. */
class RecoveryTest {
    private static final int SLOT = Observations.SLOT_MS;

    /** Probes fail in slots [from, to). */
    private static IntPredicate failing(int from, int to) {
        return i -> i < from || i >= to;
    }

    @Test
    void aFailingProbeIsSeenAndServiceRecoversAfterTheLastFailingSlotIfItThenHolds() {
        // fault at 1.05 s; probes fail from slot 12 to 19; 20 slots observed after; hold 1 s
        Recovery r = Recovery.measure(failing(12, 20), 1_050, 50, 10, Recovery.NEVER, Recovery.NEVER);
        assertThat(r.probeMs()).isEqualTo(12 * SLOT);
        assertThat(r.recoveredMs()).isEqualTo(20 * SLOT);
    }

    @Test
    void recoveryWaitsForIsolation() {
        // replica 2 not ready at 1.2 s, HAProxy marks it DOWN at 2.45 s, probes fail in slots 13..14 only
        Recovery r = Recovery.measure(failing(13, 15), 1_050, 60, 10, 1_200, 2_450);
        assertThat(r.probeMs()).isEqualTo(13 * SLOT);
        assertThat(r.recoveredMs()).as("not before the balancer routed around the fault").isEqualTo(2_450);
    }

    @Test
    void noRecoveryWhenTheProbesDoNotHoldForTheHoldTimeWithinWhatWasObserved() {
        Recovery r = Recovery.measure(failing(12, 45), 1_050, 50, 10, Recovery.NEVER, Recovery.NEVER);
        assertThat(r.probeMs()).isEqualTo(12 * SLOT);
        assertThat(r.recoveredMs()).isEqualTo(Recovery.NEVER);
    }

    @Test
    void aFaultAbsorbedWithoutABreachIsNeitherDetectedNorDownAndRecoversAtOnce() {
        Recovery r = Recovery.measure(i -> true, 1_050, 50, 10, Recovery.NEVER, Recovery.NEVER);
        assertThat(r.probeMs()).isEqualTo(Recovery.NEVER);
        assertThat(r.recoveredMs()).isEqualTo(1_050);
    }

    @Test
    void aBreachBeforeTheFaultDoesNotCount() {
        Set<Integer> bad = Set.of(3, 4);
        Recovery r = Recovery.measure(i -> !bad.contains(i), 1_050, 50, 10, Recovery.NEVER, Recovery.NEVER);
        assertThat(r.probeMs()).isEqualTo(Recovery.NEVER);
    }

    /**
     * The degraded share, recorded from two replicas' metrics: 30 of 100 searches degraded, while
     * health checks and scrapes add 150 requests. Counting every request read 12%, not 30%.
     */
    @Test
    void theDegradedShareIsOfSearchesNotOfHealthChecks() {
        String replica = """
                recops_requests_total{code="200",endpoint="search",model="search-encoder",version="2"} 50.0
                recops_requests_total{code="200",endpoint="ready",model="",version=""} 60.0
                recops_requests_total{code="200",endpoint="live",model="",version=""} 15.0
                recops_degraded_total{endpoint="search",reason="timeout"} 10.0
                recops_degraded_total{endpoint="search",reason="breaker_open"} 5.0
                """;
        double[] sum = new double[2];
        Monitor.addSearchCounts(replica, sum);
        Monitor.addSearchCounts(replica, sum);
        assertThat(sum[0] / sum[1]).isEqualTo(0.30);
    }
}
