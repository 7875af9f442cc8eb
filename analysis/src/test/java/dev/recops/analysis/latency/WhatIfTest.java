package dev.recops.analysis.latency;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole server simulated: the batcher, and the work around it competing for the same CPUs. */
class WhatIfTest {
    /** Every call takes 4 ms on one CPU, whatever its size. */
    private static final CallTimeModel FOUR_MS = CallTimeModel.fit(
            IntStream.rangeClosed(1, 10).mapToObj(b -> new CallTimeModel.Row(b, 8, 1, 1, 1, 4.0)).toList(), 5);
    private static final WhatIf.Settings ONE_AT_A_TIME = new WhatIf.Settings(1, Duration.ZERO, 1, 1, 256, Duration.ofSeconds(2));

    @Test
    void theWorkAroundTheBatcherTakesItsShareOfTheCpuFromTheCalls() {
        double batcherAlone = WhatIf.maxThroughput(FOUR_MS, ONE_AT_A_TIME, 8);
        double wholeServer = WhatIf.maxThroughput(FOUR_MS, ONE_AT_A_TIME, 8, new WhatIf.Outside(2, 1));
        assertThat(batcherAlone).isBetween(220.0, 250.0); // 1000/4 at most
        // 2 ms of CPU per request beside 4 ms calls: 1000/6 per second at most, whatever the batcher could do alone
        assertThat(wholeServer).isBetween(145.0, 1000 / 6.0);
        assertThat(wholeServer / batcherAlone).isBetween(0.6, 0.72);
        // two CPUs: the work around the batcher takes half the share of them
        assertThat(WhatIf.maxThroughput(FOUR_MS, ONE_AT_A_TIME, 8, new WhatIf.Outside(2, 2))).isGreaterThan(wholeServer);
    }

    @Test
    void atLowLoadEachRequestTakesItsCallAndTheWorkAroundIt() {
        var arrivals = WhatIf.generate(WhatIf.Process.CONSTANT, 10, 2_000, 8, Duration.ofSeconds(2), 1);
        WhatIf.Served served = WhatIf.serve(FOUR_MS, ONE_AT_A_TIME, arrivals, new WhatIf.Outside(2, 1));
        // the call, stretched by the 2% of the CPU the work around it takes; that work, stretched by the 4% the calls take,
        // exponential about its mean: its median ln 2 of the mean, its 99th percentile ln 100
        assertThat(served.batcher().latencyMillis(50)).isCloseTo(4 / 0.98, org.assertj.core.data.Offset.offset(0.01));
        double around = 2 * (1 + 10 * 4 / 0.98 / 1000);
        assertThat(served.latencyMillis(50)).isCloseTo(4 / 0.98 + around * Math.log(2), org.assertj.core.data.Offset.offset(0.05));
        assertThat(served.latencyMillis(99)).isCloseTo(4 / 0.98 + around * Math.log(100), org.assertj.core.data.Offset.offset(0.5));
        assertThat(WhatIf.serve(FOUR_MS, ONE_AT_A_TIME, arrivals, WhatIf.Outside.NONE).latencyMillis(50)).isEqualTo(4.0);
    }

    @Test
    void theWorkAroundTheCallsIsMeasuredAtEachConfigurationsQuietestRun() {
        Config one = new Config("m", "1", 1, 0, 1, 1);
        Config eight = new Config("m", "1", 8, 2, 1, 1);
        List<Observation> runs = List.of(
                run(one, 50, 7, 4, 1), // 7 ms of CPU per response, 4 in the call: 3 around it
                run(one, 200, 6, 5, 1.25), // busier: calls share the CPU, so their time is not all CPU; not used
                run(eight, 60, 4.5, 6, 4), // 1.5 ms in the calls of 4 texts: 3 around them
                run(eight, 30, 5, 6, 3)); // quieter still: 2 ms in calls, 3 around them
        assertThat(Simulated.measuredOutside(runs, 1)).hasValue(3.0);
        assertThat(Simulated.measuredOutside(List.of(run(one, 50, Double.NaN, 4, 1)), 1)).isEmpty();
    }

    private static Observation run(Config c, double rate, double cpuMillis, double callMillis, double meanBatch) {
        return new Observation(new Query(c, rate, 8), 10, 15, 20, 0, rate, meanBatch, callMillis, cpuMillis, "test");
    }
}
