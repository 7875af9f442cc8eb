package dev.recops.objective;

import dev.recops.objective.Objective.Direction;
import dev.recops.objective.Objective.Kind;
import dev.recops.objective.Objective.Measure;
import dev.recops.objective.Objective.Vocabulary;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectiveTest {
    private static final Vocabulary WORDS = Vocabulary.of("p99<=50ms",
            Objective.latency("p99"), Objective.latency("p99.9"),
            new Measure("errors", Kind.SHARE, Direction.UPPER),
            new Measure("throughput", Kind.RATE, Direction.LOWER),
            new Measure("lost_requests", Kind.COUNT, Direction.ANY));

    @Test
    void boundsAreKeptInOneUnitPerKind() {
        assertThat(WORDS.parse("p99<=50ms").bound()).isEqualTo(50);
        assertThat(WORDS.parse(" P99 <= 0.2s ").bound()).isEqualTo(200);
        assertThat(WORDS.parse("p99<=1500us").bound()).isEqualTo(1.5);
        assertThat(WORDS.parse("p99<=1m").bound()).isEqualTo(60_000);
        assertThat(WORDS.parse("p99<=1h").bound()).isEqualTo(3_600_000); // the units of every duration (Durations)
        assertThat(WORDS.parse("p999<=80ms").measure()).isEqualTo("p99.9");
        assertThat(WORDS.parse("errors<=0.1%").bound()).isEqualTo(0.001);
        assertThat(WORDS.parse("throughput>=500/s").bound()).isEqualTo(500);
        assertThat(WORDS.parse("throughput>=500rps").bound()).isEqualTo(500);
        assertThat(WORDS.parse("lost_requests==0").bound()).isZero();
        assertThat(WORDS.parse(" p99 <= 0.2s ").text()).isEqualTo("p99 <= 0.2s");
    }

    @Test
    void everyComparisonHoldsAsWritten() {
        assertThat(WORDS.parse("p99<=50ms").holds(50)).isTrue();
        assertThat(WORDS.parse("p99<=50ms").holds(50.01)).isFalse();
        assertThat(WORDS.parse("p99<50ms").holds(50)).isFalse();
        assertThat(WORDS.parse("throughput>=500").holds(500)).isTrue();
        assertThat(WORDS.parse("throughput>500").holds(500)).isFalse();
        assertThat(WORDS.parse("lost_requests==0").holds(0)).isTrue();
        assertThat(WORDS.parse("lost_requests==0").holds(1)).isFalse();
        assertThat(WORDS.parse("lost_requests>=0").holds(Double.NaN)).isFalse(); // never measured never holds
    }

    @Test
    void aBadObjectiveSaysWhyInOneLineNamingIt() {
        for (List<String> c : List.of(
                List.of("p99<=50", "is a duration: give a unit"),
                List.of("p99>=50ms", "bounded from above"),
                List.of("throughput<=5", "bounded from below"),
                List.of("errors<=0.1", "give it in percent"),
                List.of("lost_requests==1ms", "a count, without a unit"),
                List.of("latency<=5ms", "'latency' is not one of errors, lost_requests, p99, p99.9, throughput; write one like p99<=50ms"),
                List.of("p99=50ms", "not an objective like p99<=50ms"),
                List.of("", "empty"))) {
            assertThatThrownBy(() -> WORDS.parse(c.get(0)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + c.get(0) + "'")
                    .hasMessageContaining(c.get(1))
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void measuredValuesAreShownInTheKindsUnit() {
        assertThat(WORDS.parse("errors<=0.1%").format(0.002)).isEqualTo("0.200%");
        assertThat(WORDS.parse("p99<=1s").format(12.3)).isEqualTo("12.30 ms");
        assertThat(WORDS.parse("throughput>=5").format(512)).isEqualTo("512.0/s");
    }
}
