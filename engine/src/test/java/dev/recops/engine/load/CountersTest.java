package dev.recops.engine.load;

import dev.recops.engine.batch.Batcher;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CountersTest {

    @Test
    void readsModelCallsAndTokensFromTheServersOwnExpositionSummedOverVersions() throws Exception {
        ServerMetrics metrics = new ServerMetrics();
        Batcher.Observer v1 = metrics.batchObserver("search-encoder", "1");
        Batcher.Observer v2 = metrics.batchObserver("search-encoder", "2");
        v1.batch(4, 40, 8_000_000);
        v1.batch(2, 20, 4_000_000);
        v2.batch(6, 60, 12_000_000);
        metrics.queryTokens("search-encoder", "1", 7);
        metrics.queryTokens("search-encoder", "2", 5);
        var text = new ByteArrayOutputStream();
        metrics.write("text/plain", text);

        Target.Counters c = Target.Counters.parse(text.toString(StandardCharsets.UTF_8));

        assertThat(c.calls()).isEqualTo(3);
        assertThat(c.texts()).isEqualTo(12);
        assertThat(c.inferenceSeconds()).isCloseTo(0.024, within(1e-9));
        assertThat(c.tokenSum()).isEqualTo(12);
        assertThat(c.tokenCount()).isEqualTo(2);
        assertThat(c.cpuSeconds()).as("the process's CPU time, from the JVM metrics").isPositive();
    }

    @Test
    void anExpositionWithoutRecopsSeriesCountsNothing() {
        assertThat(Target.Counters.parse("# HELP up\nup 1\n")).isEqualTo(Target.Counters.NONE);
    }
}
