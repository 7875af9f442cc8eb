package dev.recops.engine.telemetry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TopSnapshotTest {
    private static String exposition(int ok, int failed, int[] cumulative, int batchSum, int batchCount, int shed, double queue) {
        StringBuilder b = new StringBuilder("# HELP recops_requests_total requests\n# TYPE recops_requests_total counter\n");
        b.append("recops_requests_total{code=\"200\",endpoint=\"search\",model=\"m\",version=\"2\"} ").append(ok).append(".0\n");
        b.append("recops_requests_total{code=\"500\",endpoint=\"search\",model=\"m\",version=\"2\"} ").append(failed).append(".0\n");
        b.append("recops_requests_total{code=\"200\",endpoint=\"ready\",model=\"\",version=\"\"} 99.0\n");
        String[] le = {"0.005", "0.01", "0.02", "+Inf"};
        for (int i = 0; i < le.length; i++) {
            b.append("recops_request_duration_seconds_bucket{endpoint=\"search\",model=\"m\",version=\"2\",le=\"").append(le[i]).append("\"} ")
                    .append(cumulative[i]).append('\n');
        }
        b.append("recops_batch_size_sum{model=\"m\",version=\"2\"} ").append(batchSum).append(".0\n");
        b.append("recops_batch_size_count{model=\"m\",version=\"2\"} ").append(batchCount).append('\n');
        b.append("recops_shed_total{model=\"m\",reason=\"queue_full\",version=\"2\"} ").append(shed).append(".0\n");
        b.append("recops_queue_depth{model=\"m\",version=\"2\"} ").append(queue).append('\n');
        b.append("recops_breaker_state{model=\"m\",version=\"2\"} 0.0\nrecops_in_flight_requests 3.0\n");
        b.append("recops_degraded_total{endpoint=\"search\",reason=\"timeout\"} 4.0\n");
        // a series naming a version without a model (found when canary analysis had run: top failed on it)
        b.append("recops_canary_decisions_total{decision=\"pass\",version=\"1\"} 2.0\n");
        return b.toString();
    }

    @Test
    void ratesSharesAndPercentilesComeFromTheDeltasBetweenTwoScrapes() {
        List<PrometheusText.Sample> before = PrometheusText.parse(exposition(1000, 10, new int[] {500, 900, 1000, 1010}, 4000, 1000, 5, 0));
        // 2 s later: 180 ok and 20 failed; of the 200, 100 under 5 ms, 98 more under 10 ms, 2 under 20 ms
        List<PrometheusText.Sample> after = PrometheusText.parse(exposition(1180, 30, new int[] {600, 1098, 1200, 1210}, 4400, 1100, 9, 7));
        TopSnapshot s = TopSnapshot.between(before, after, 2.0);
        assertThat(s.versions()).singleElement().satisfies(v -> {
            assertThat(v.model() + ":" + v.version()).isEqualTo("m:2");
            assertThat(v.requestsPerSecond()).isEqualTo(100.0); // the ready probe is not counted
            assertThat(v.errorShare()).isEqualTo(0.1);
            assertThat(v.p50Millis()).isCloseTo(5.0, within(1e-9)); // rank 100 of 200: the top of the first bucket
            assertThat(v.p99Millis()).isCloseTo(10.0, within(1e-9)); // rank 198: the top of the second
            assertThat(v.meanBatch()).isEqualTo(4.0);
            assertThat(v.shedPerSecond()).isEqualTo(Map.of("queue_full", 2.0));
            assertThat(v.queueDepth()).isEqualTo(7.0);
        });
        assertThat(s.inFlight()).isEqualTo(3.0);
        assertThat(s.degradedPerSecond()).as("unchanged counter: nothing degraded in the interval").isEmpty();
    }

    @Test
    void quantilesInterpolateWithinABucketAndNothingObservedIsNaN() {
        TreeMap<Double, Double> cumulative = new TreeMap<>(Map.of(0.01, 0.0, 0.02, 100.0, Double.POSITIVE_INFINITY, 100.0));
        assertThat(TopSnapshot.quantile(cumulative, 0.5)).isCloseTo(0.015, within(1e-12));
        assertThat(TopSnapshot.quantile(new TreeMap<>(Map.of(0.01, 0.0, Double.POSITIVE_INFINITY, 0.0)), 0.99)).isNaN();
        assertThat(TopSnapshot.between(List.of(), List.of(), 1.0).versions()).isEmpty();
    }
}
