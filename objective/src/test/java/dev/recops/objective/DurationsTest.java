package dev.recops.objective;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {
    @Test
    void everyUnitAnObjectiveTakesAnOptionTakesToo() {
        assertThat(Durations.parse("1500us")).isEqualTo(Duration.ofNanos(1_500_000));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse(" 1.5S ")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("0")).isZero();
    }

    @Test
    void aNumberWithoutAUnitOrAnUnknownUnitIsRefusedWithAnExample() {
        for (String bad : new String[] {"5", "5d", "ms", "-1s", "1 s", ""}) {
            assertThatThrownBy(() -> Durations.parse(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("such as 250ms");
        }
    }

    @Test
    void formatReadsBackAsTheSameDuration() {
        for (Duration d : new Duration[] {Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofSeconds(30), Duration.ofMinutes(20)}) {
            assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
        }
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    }
}
