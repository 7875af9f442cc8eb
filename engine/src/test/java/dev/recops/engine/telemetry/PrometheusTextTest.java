package dev.recops.engine.telemetry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTest {
    @Test
    void readsTimestampsEscapedLabelValuesAndInfinities() {
        List<PrometheusText.Sample> s = PrometheusText.parse("""
                # HELP recops_requests_total Requests.
                # TYPE recops_requests_total counter
                recops_requests_total{endpoint="search",status="200"} 1027 1733580000000
                recops_requests_total{endpoint="search",status="503"} 3
                recops_request_duration_seconds_bucket{le="+Inf",endpoint="search"} 1030
                odd_labels{path="/a,b=\\"c\\"} d",note="line\\nbreak \\\\ end"} 1.5e3
                up -Inf
                ratio NaN
                spaced { a = "1" , b="2" } 4
                not a sample
                # EOF
                """);
        assertThat(s).extracting(PrometheusText.Sample::name).containsExactly("recops_requests_total", "recops_requests_total",
                "recops_request_duration_seconds_bucket", "odd_labels", "up", "ratio", "spaced");
        assertThat(s.get(0).value()).isEqualTo(1027);
        assertThat(s.get(0).labels()).isEqualTo(Map.of("endpoint", "search", "status", "200"));
        assertThat(s.get(2).label("le")).isEqualTo("+Inf");
        assertThat(s.get(2).value()).isEqualTo(1030);
        assertThat(s.get(3).label("path")).isEqualTo("/a,b=\"c\"} d");
        assertThat(s.get(3).label("note")).isEqualTo("line\nbreak \\ end");
        assertThat(s.get(3).value()).isEqualTo(1500);
        assertThat(s.get(4).value()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(s.get(5).value()).isNaN();
        assertThat(s.get(6).labels()).isEqualTo(Map.of("a", "1", "b", "2"));
        assertThat(PrometheusText.sum(s, "recops_requests_total", Map.of("endpoint", "search"))).isEqualTo(1030);
        assertThat(PrometheusText.sum(s, "recops_requests_total", Map.of("status", "503"))).isEqualTo(3);
    }

    @Test
    void aLineThatIsNotASampleCostsNothingElse() {
        assertThat(PrometheusText.parse("a{b=\"unterminated} 1\nc 2\nd{e=1} 3\nf 1 2 3\ng 4\n"))
                .extracting(PrometheusText.Sample::name).containsExactly("c", "g");
    }
}
