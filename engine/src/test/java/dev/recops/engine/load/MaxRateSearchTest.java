package dev.recops.engine.load;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The max-rate search: steadiness of the queue, and a majority of probes per rate. */
class MaxRateSearchTest {
    private static final List<Slo> P99 = List.of(Slo.parse("p99<=50ms"));

    /** A run with each second's median as given, and this p99. */
    private static RunResult run(double p99, double... medians) {
        List<RunResult.Interval> intervals = IntStream.range(0, medians.length)
                .mapToObj(i -> new RunResult.Interval(i, 100, 0, medians[i], p99)).toList();
        return GateTest.run(LoadSpec.Mode.OPEN, 5, p99, 0, 100, intervals);
    }

    private static final RunResult STEADY = run(20, 5, 6, 5, 7, 5, 6, 5, 6, 5, 6);

    @Test
    void waitGrowthIsTheSlopeOfEachSecondsMedianAndOneStallDoesNotTiltIt() {
        assertThat(run(20, 5, 35, 65, 95, 125).waitGrowth()).isEqualTo(30);
        assertThat(STEADY.waitGrowth()).isBetween(-0.5, 0.5);
        // a 400 ms stall in the last second: a least-squares slope would be 36 ms/s
        assertThat(run(20, 5, 6, 5, 6, 5, 6, 5, 6, 5, 400).waitGrowth()).isLessThan(1);
        assertThat(run(20, 5, 6).waitGrowth()).isNaN();
        assertThat(MaxRateSearch.steady(run(20, 5, 6))).isTrue();
    }

    @Test
    void aProbeWhoseQueueKeepsGrowingFailsThoughItsObjectivesHold() {
        // the capacity is 300/s; above it the queue grows 40 ms a second, yet the 10 s probe's errors stay at 0
        DoubleFunction<RunResult> server = rate -> rate <= 300 ? STEADY : run(20, 5, 45, 85, 125, 165, 205, 245, 285, 325, 365);
        MaxRateSearch.Result r = MaxRateSearch.run(100, 1, server, List.of(Slo.parse("errors<=1%")));
        assertThat(r.bestRate()).hasValueCloseTo(300.0, org.assertj.core.data.Percentage.withPercentage(5));
        assertThat(r.bestRate().getAsDouble()).isLessThanOrEqualTo(300);
        assertThat(r.rates()).filteredOn(x -> x.rate() > 300).allSatisfy(x -> {
            assertThat(x.passed()).isFalse();
            assertThat(x.probes().getFirst().met()).isTrue();
            assertThat(x.probes().getFirst().steady()).isFalse();
        });
    }

    @Test
    void aRatePassesOnAMajorityOfItsProbesAndProbingStopsOnceItIsDecided() {
        // the objective holds up to 400/s, but one probe in three stalls (p99 300 ms) wherever it falls
        List<Double> probed = new ArrayList<>();
        int[] n = {0};
        DoubleFunction<RunResult> server = rate -> {
            probed.add(rate);
            boolean stall = n[0]++ % 3 == 1;
            return rate <= 400 && !stall ? STEADY : run(300, 5, 6, 5, 7, 5, 6, 5, 6, 5, 6);
        };
        MaxRateSearch.Result three = MaxRateSearch.run(100, 3, server, P99);
        assertThat(three.bestRate().getAsDouble()).isBetween(380.0, 400.0);
        assertThat(three.rates()).allSatisfy(x -> assertThat(x.probes().size()).isBetween(2, 3));
        assertThat(three.probes()).hasSize(probed.size());

        n[0] = 0;
        MaxRateSearch.Result one = MaxRateSearch.run(100, 1, server, P99);
        assertThat(one.bestRate().getAsDouble()).isLessThan(300); // the second probe stalled: one run judges the stall
    }

    @Test
    void evenRepeatsNeedMoreThanHalfAndRepeatsBelowOneAreRefused() {
        Iterator<RunResult> runs = List.of(STEADY, run(300, 5, 5, 5)).iterator();
        MaxRateSearch.Result r = MaxRateSearch.run(100, 2, rate -> runs.hasNext() ? runs.next() : run(300, 5, 5, 5), P99);
        assertThat(r.rates().getFirst().probes()).hasSize(2);
        assertThat(r.rates().getFirst().passed()).isFalse();
        assertThatThrownBy(() -> MaxRateSearch.run(100, 0, rate -> STEADY, P99)).isInstanceOf(IllegalArgumentException.class);
    }
}
