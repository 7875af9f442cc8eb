package dev.recops.cli;

import dev.recops.engine.telemetry.PrometheusText;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TopViewTest {
    private static String metrics(int v1, int v2, int failed) {
        return "recops_requests_total{code=\"200\",endpoint=\"search\",model=\"m\",version=\"1\"} " + v1 + ".0\n"
                + "recops_requests_total{code=\"200\",endpoint=\"search\",model=\"m\",version=\"2\"} " + v2 + ".0\n"
                + "recops_requests_total{code=\"503\",endpoint=\"search\",model=\"m\",version=\"2\"} " + failed + ".0\n"
                + "recops_in_flight_requests 2.0\n";
    }

    private static TopView.Scrape scrape(long nanos, String exposition) {
        return new TopView.Scrape(nanos, PrometheusText.parse(exposition), null, null, null);
    }

    @Test
    void theServersViewTotalsEachServersVersionsAndADownServerStaysARow() {
        Map<String, TopView.Scrape> last = new LinkedHashMap<>();
        Map<String, TopView.Scrape> now = new LinkedHashMap<>();
        last.put("http://a:1", scrape(0, metrics(100, 100, 0)));
        now.put("http://a:1", scrape(2_000_000_000L, metrics(180, 300, 20))); // 2 s: 40/s + 110/s, 20 of 220 on v2 failed
        last.put("http://b:2", new TopView.Scrape(0, List.of(), "connection refused", null, null));
        now.put("http://b:2", new TopView.Scrape(2_000_000_000L, List.of(), "connection refused", null, null));
        TopView view = new TopView(Duration.ofSeconds(2), true);
        view.view = 1;
        List<String> lines = view.lines(last, now);
        assertThat(lines.get(0)).contains("view: servers").contains("(q quit, v view, s order)");
        assertThat(new TopView(Duration.ofSeconds(2), false).lines(last, now).getFirst()).as("--once has no keys to press")
                .contains("the 2s before").doesNotContain("quit");
        assertThat(lines.get(2)).startsWith("a:1").contains(" 150.0 ").contains(" 6.67 ").contains("closed");
        assertThat(lines.get(3)).startsWith("b:2").contains("DOWN: connection refused");
        view.view = 0;
        assertThat(view.lines(last, now)).anySatisfy(l -> assertThat(l).startsWith("a:1").contains("m:2").contains(" 110.0 "));
    }
}
