package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runs CSV, the JSON form read back as a baseline, and merging interval logs. */
class OutputFilesTest {
    @TempDir
    Path dir;

    @Test
    void runsCsvWritesTheHeaderOnceAndOneRowPerRun() throws Exception {
        Path csv = dir.resolve("runs.csv");
        RunResult r = GateTest.run(LoadSpec.Mode.OPEN, 10, 40, 0, 100, List.of());
        RunsCsv.append(csv, r, 10, 2);
        RunsCsv.append(csv, r, 10, 2);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).split(",")).hasSize(RunsCsv.COLUMNS.size()).startsWith("ts", "target", "mode", "rate");
        String[] row = lines.get(1).split(",", -1);
        assertThat(row).hasSize(RunsCsv.COLUMNS.size());
        assertThat(row[RunsCsv.COLUMNS.indexOf("replicas")]).isEqualTo("2");
        assertThat(row[RunsCsv.COLUMNS.indexOf("p99_ms")]).isEqualTo("40");
        Path other = Files.writeString(dir.resolve("other.csv"), "a,b\n1,2\n");
        assertThatThrownBy(() -> RunsCsv.append(other, r, 10, 1)).isInstanceOf(RecopsException.InvalidInput.class);
    }

    @Test
    void aRunWrittenAsJsonReadsBackAsABaseline() throws Exception {
        RunResult r = GateTest.run(LoadSpec.Mode.CLOSED, 10, 40, 0, 100,
                List.of(new RunResult.Interval(0, 100, 0, 9, 39), new RunResult.Interval(1, 101, 2, 11, 41)));
        Path file = Files.writeString(dir.resolve("run.json"), RunJson.write(r).toPrettyString());
        RunJson.Baseline b = RunJson.read(file);
        assertThat(b.mode()).isEqualTo("closed");
        assertThat(b.p99()).isEqualTo(40);
        assertThat(b.intervals()).containsExactlyElementsOf(r.intervals());
        assertThat(b.distribution()).containsExactlyElementsOf(r.distribution());
        Path notARun = Files.writeString(dir.resolve("x.json"), "{\"a\": 1}");
        assertThatThrownBy(() -> RunJson.read(notARun)).hasMessageContaining("not a recops bench run");
    }

    @Test
    void mergedLogsHoldExactlyTheSumOfTheirIntervals() {
        Histogram a = new Histogram(3);
        Histogram b = new Histogram(3);
        for (int i = 1; i <= 1_000; i++) {
            a.recordValue(i * 10L);
            b.recordValue(100_000L + i);
        }
        Path fa = write("a.hlog", a);
        Path fb = write("b.hlog", b);
        HlogFiles.Merged m = HlogFiles.merge(List.of(fa, fb));
        Histogram expected = a.copy();
        expected.add(b);
        assertThat(m.intervals()).isEqualTo(2);
        assertThat(m.histogram().getTotalCount()).isEqualTo(2_000);
        assertThat(m.histogram().getValueAtPercentile(50)).isEqualTo(expected.getValueAtPercentile(50));
        assertThat(m.histogram().getMaxValue()).isEqualTo(expected.getMaxValue());
        assertThatThrownBy(() -> HlogFiles.merge(List.of(dir.resolve("none.hlog")))).isInstanceOf(RecopsException.PreconditionFailed.class);
    }

    private Path write(String name, Histogram h) {
        Path f = dir.resolve(name);
        try (HlogFiles.Output out = HlogFiles.create(f)) {
            h.setStartTimeStamp(System.currentTimeMillis());
            h.setEndTimeStamp(System.currentTimeMillis() + 1_000);
            out.writer().outputIntervalHistogram(h);
        }
        return f;
    }
}
