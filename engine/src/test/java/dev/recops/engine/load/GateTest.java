package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SLO objectives, sweeps and the baseline comparison. */
class GateTest {

    static RunResult run(LoadSpec.Mode mode, double p50, double p99, double errorRate, double throughput, List<RunResult.Interval> intervals) {
        LoadSpec spec = new LoadSpec(mode, 100, LoadSpec.Arrivals.CONSTANT, 4, Duration.ofSeconds(30), Duration.ZERO, 10, Duration.ofSeconds(1));
        return new RunResult("http://x", Workload.Order.SEQUENTIAL, "search=100", spec, Instant.EPOCH, 30, 3000, 3000, 3000, 0, 0,
                new TreeMap<>(), errorRate, 100, throughput, new RunResult.Latency(3000, p50, p50 * 1.5, p50 * 1.8, p99, p99 * 1.2, p99 * 1.5, p50),
                Optional.empty(), Optional.empty(), intervals,
                List.of(new RunResult.Percentile(50, p50), new RunResult.Percentile(99, p99)), Optional.empty(), OptionalDouble.empty(), Optional.empty(), Target.Connections.NONE,
                OptionalDouble.empty(), OptionalDouble.empty());
    }

    @Test
    void objectivesParseWithUnitsAndJudgeTheRun() {
        RunResult r = run(LoadSpec.Mode.OPEN, 10, 40, 0.002, 480, List.of());
        assertThat(Slo.parse("p99<=50ms").evaluate(r).met()).isTrue();
        assertThat(Slo.parse("p99 <= 0.03s").evaluate(r).met()).isFalse();
        assertThat(Slo.parse("p50<=10000us").evaluate(r).met()).isTrue();
        assertThat(Slo.parse("errors<=0.1%").evaluate(r).met()).isFalse();
        assertThat(Slo.parse("errors<=0.5%").evaluate(r).met()).isTrue();
        assertThat(Slo.parse("throughput>=500").evaluate(r).met()).isFalse();
        assertThat(Slo.parse("p99.9<=60ms").evaluate(r).actual()).isEqualTo(48);
        assertThat(Slo.parse("errors<=0.1%").evaluate(r).describe()).isEqualTo("errors<=0.1%: 0.200% (BREACHED)");
    }

    @Test
    void badObjectivesSayWhatIsExpected() {
        for (String bad : List.of("p99=50ms", "p99<=50", "latency<=5ms", "errors>=1%", "throughput<=5", "p99>=5ms")) {
            assertThatThrownBy(() -> Slo.parse(bad)).isInstanceOf(RecopsException.InvalidInput.class).hasMessageContaining(bad);
        }
    }

    @Test
    void sweepsTakeRangesAndLists() {
        assertThat(Sweep.parse("rate=100..500:100").values()).containsExactly(100.0, 200.0, 300.0, 400.0, 500.0);
        assertThat(Sweep.parse("concurrency=1,2,4").values()).containsExactly(1.0, 2.0, 4.0);
        assertThat(Sweep.parse("batch-max=1,16").needsEngine()).isTrue();
        assertThat(Sweep.parse("rate=1..2:0.5").needsEngine()).isFalse();
        for (String bad : List.of("speed=1,2", "rate=5..1:1", "rate=1..10:0", "concurrency=1.5", "rate=a,b", "rate=0")) {
            assertThatThrownBy(() -> Sweep.parse(bad)).isInstanceOf(RecopsException.InvalidInput.class);
        }
    }

    private static List<RunResult.Interval> seconds(Random random, int n, double p50, double p99, double noise) {
        List<RunResult.Interval> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new RunResult.Interval(i, 100, 0, p50 * (1 + noise * random.nextGaussian()), p99 * (1 + noise * random.nextGaussian())));
        }
        return out;
    }

    private static RunJson.Baseline baseline(List<RunResult.Interval> intervals, double p50, double p99) {
        return new RunJson.Baseline(java.nio.file.Path.of("base.json"), "open", p50, p99, 100, intervals, List.of());
    }

    @Test
    void noiseAloneIsNotARegression() {
        Random random = new Random(3);
        var base = baseline(seconds(random, 30, 10, 40, 0.15), 10, 40);
        var same = run(LoadSpec.Mode.OPEN, 10.4, 41, 0, 100, seconds(random, 30, 10, 40, 0.15));
        assertThat(Comparison.compare(base, same)).noneMatch(Comparison.Finding::regression);
    }

    @Test
    void aShiftBeyondTheNoiseIsARegressionAndAnImprovementIsNot() {
        Random random = new Random(4);
        var base = baseline(seconds(random, 30, 10, 40, 0.05), 10, 40);
        var slower = run(LoadSpec.Mode.OPEN, 13, 52, 0, 100, seconds(random, 30, 13, 52, 0.05));
        assertThat(Comparison.compare(base, slower)).filteredOn(Comparison.Finding::regression).extracting(Comparison.Finding::metric)
                .containsExactly("p50", "p99");
        var faster = run(LoadSpec.Mode.OPEN, 7, 30, 0, 100, seconds(random, 30, 7, 30, 0.05));
        assertThat(Comparison.compare(base, faster)).noneMatch(Comparison.Finding::regression);
    }

    @Test
    void aSignificantButTinyShiftIsNotARegression() {
        Random random = new Random(5);
        var base = baseline(seconds(random, 200, 10, 40, 0.01), 10, 40);
        var tiny = run(LoadSpec.Mode.OPEN, 10.2, 40.8, 0, 100, seconds(random, 200, 10.2, 40.8, 0.01));
        assertThat(Comparison.compare(base, tiny)).noneMatch(Comparison.Finding::regression);
    }

    @Test
    void mannWhitneyPValuesAreSane() {
        double[] low = {1, 2, 3, 4, 5, 6, 7, 8};
        double[] high = {11, 12, 13, 14, 15, 16, 17, 18};
        assertThat(Comparison.mannWhitneyGreater(high, low)).isLessThan(0.001);
        assertThat(Comparison.mannWhitneyGreater(low, high)).isGreaterThan(0.99);
        assertThat(Comparison.mannWhitneyGreater(low, low)).isBetween(0.4, 0.7);
    }
}
