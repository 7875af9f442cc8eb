package dev.recops.analysis.latency;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The whole server simulated: the batcher, and the work around it competing for the same CPUs. */
class WhatIfTest {
    /** Every call takes 4 ms on one CPU, whatever its size (and so whatever the spread of the queries' lengths). */
    private static final CallTimeModel FOUR_MS = CallTimeModel.fit(
            IntStream.rangeClosed(1, 10).mapToObj(b -> new CallTimeModel.Row(b, 4 * (1 + b % 3), 1, 1, 1, 4.0)).toList(), 5);
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
        assertThat(served.batcher().latencyMillis(50)).isCloseTo(4 / 0.98, within(0.01));
        double around = 2 * (1 + 10 * 4 / 0.98 / 1000);
        assertThat(served.latencyMillis(50)).isCloseTo(4 / 0.98 + around * Math.log(2), within(0.05));
        assertThat(served.latencyMillis(99)).isCloseTo(4 / 0.98 + around * Math.log(100), within(0.5));
        assertThat(WhatIf.serve(FOUR_MS, ONE_AT_A_TIME, arrivals, WhatIf.Outside.NONE).latencyMillis(50)).isEqualTo(4.0);
    }

    @Test
    void theWorkAroundTheCallsIsACpuLineThroughTheRunsAndATimePerRequest() {
        Config one = new Config("m", "1", 1, 0, 1, 1);
        Config two = new Config("m", "1", 8, 2, 2, 1);
        // calls of 4 ms of CPU (alone, as the profile says), and beside them 40 ms of CPU a second plus 0.5 ms a request
        List<Observation> runs = List.of(run(one, 50, 4 + 65 / 50.0, 4, 1), run(one, 100, 4 + 90 / 100.0, 4.5, 1), run(one, 200, 4 + 140 / 200.0, 5, 1),
                run(two, 40, 4 + 60 / 40.0, 6, 1)); // a call's own time (stretched by the work beside it, or overlapped) is not its CPU
        CallTimeModel oneOrTwo = CallTimeModel.fit(IntStream.rangeClosed(1, 20)
                .mapToObj(i -> new CallTimeModel.Row(1 + i % 10, 4 * (1 + i % 3), 1, 1 + i / 11, 1, 4.0 * (1 + i / 11))).toList(), 5);
        WhatIf.Outside o = Simulated.measuredOutside(runs, oneOrTwo).orElseThrow();
        assertThat(o.cpuMillis()).isCloseTo(0.5, within(1e-9));
        assertThat(o.backgroundMillis()).isCloseTo(40, within(1e-9));
        // each quietest run took 10 ms at p50 where the batcher took a little over its 4 ms call: the rest is time outside it,
        // an exponential whose median is ln 2 of its mean, less the CPU share the calls took (a fifth at 50/s)
        assertThat(o.latencyMillis()).isBetween(5.0, 9.0);
        assertThat(Simulated.measuredOutside(List.of(run(one, 50, Double.NaN, 4, 1)), oneOrTwo)).isEmpty();
    }

    @Test
    void theCpuLineIsNeverBelowZero() {
        double[] rates = {50, 100, 200};
        assertThat(Simulated.nonNegativeLine(rates, new double[] {70, 65, 60})).containsExactly(65, 0); // falling: a background alone
        assertThat(Simulated.nonNegativeLine(rates, new double[] {0, 60, 180})).satisfies(l -> {
            assertThat(l[0]).isZero(); // through the origin: a cost per request alone
            assertThat(l[1]).isCloseTo((50 * 0 + 100 * 60 + 200 * 180) / (50.0 * 50 + 100 * 100 + 200 * 200), within(1e-9));
        });
    }

    private static Observation run(Config c, double rate, double cpuMillis, double callMillis, double meanBatch) {
        return new Observation(new Query(c, rate, 8), 10, 15, 20, 0, rate, meanBatch, callMillis, cpuMillis, "test");
    }
}
