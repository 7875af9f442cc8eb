package dev.recops.analysis.bench;

import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

class BenchChartsTest {
    private static BenchCharts.Run run(String name, double p99) {
        return new BenchCharts.Run(name,
                List.of(new BenchCharts.Second(0, 100, 0, 5, p99, 0), new BenchCharts.Second(1, 98, 2, 6, p99 + 1, 3)),
                List.of(new BenchCharts.Percentile(50, 5), new BenchCharts.Percentile(99, p99), new BenchCharts.Percentile(99.99, 2 * p99)));
    }

    @Test
    void everyLineIsNamedInTheLegendAndTheBaselineIsOverlaid() {
        Map<String, XYChart> charts = BenchCharts.run(run("this run", 40), Optional.of(run("baseline base.json", 30)),
                Optional.of(new BenchCharts.Objective("p99<=50ms", 50)));
        assertThat(charts).containsOnlyKeys(BenchCharts.OVER_TIME, BenchCharts.THROUGHPUT, BenchCharts.DISTRIBUTION);
        assertThat(charts.get(BenchCharts.OVER_TIME).getSeriesMap()).containsOnlyKeys("p50 (this run)", "p99 (this run)",
                "p99 (baseline base.json)", "objective p99<=50ms");
        assertThat(charts.get(BenchCharts.THROUGHPUT).getSeriesMap()).containsOnlyKeys("responses (this run)", "errors and drops (this run)",
                "degraded (the fallback's answers) (this run)", "responses (baseline base.json)");
        assertThat(charts.get(BenchCharts.DISTRIBUTION).getSeriesMap()).containsOnlyKeys("this run", "baseline base.json", "objective p99<=50ms");
        // p99.99 sits at 10^4 on the log axis
        assertThat(charts.get(BenchCharts.DISTRIBUTION).getSeriesMap().get("this run").getXData())
                .containsExactly(new double[] {2.0, 100.0, 10_000.0}, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void theKneeAndTheObjectiveAreNamedOnTheRateChart() {
        XYChart c = BenchCharts.againstRate(List.of(new BenchCharts.RatePoint(200, 5, 20), new BenchCharts.RatePoint(100, 4, 10)),
                Optional.of(new BenchCharts.Objective("p99<=50ms", 50)), OptionalDouble.of(150));
        assertThat(c.getSeriesMap()).containsOnlyKeys("p50", "p99", "objective p99<=50ms", "knee: 150/s, the highest rate that met it");
        assertThat(c.getSeriesMap().get("p99").getXData()).containsExactly(100.0, 200.0);
    }
}
