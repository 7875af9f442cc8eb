package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CallTimeModelTest {
    /** 2 ms a call, 0.17 ms a padded token and a little attention, slower with more threads than cores; 3% noise. */
    private static double law(int batch, int tokens, int threads, int workers) {
        double stretch = Math.max(1, workers * threads / 2.0);
        return stretch * (2 + 0.17 * batch * tokens + 0.0004 * batch * tokens * tokens);
    }

    private static List<CallTimeModel.Row> profile(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<CallTimeModel.Row> rows = new ArrayList<>();
        for (int threads : List.of(1, 2)) {
            for (int workers : List.of(1, 2)) {
                for (int tokens : List.of(8, 16, 32, 64)) {
                    for (int batch : List.of(1, 2, 4, 8, 16, 32)) {
                        rows.add(new CallTimeModel.Row(batch, tokens, threads, workers, 2,
                                law(batch, tokens, threads, workers) * (1 + 0.03 * (2 * random.nextDouble() - 1))));
                    }
                }
            }
        }
        return rows;
    }

    /**
     * predict-latency --check's comparison: a sample of the calls it makes (batches of 1, 8 and
     * 32 texts of 16 tokens, one thread, one worker) against the profile the model was trained
     * with. Calls 30% slower are a changed machine; within the profile's own error are not.
     */
    @Test
    void aSampleSlowerThanTheProfileByMoreThanItsErrorIsAChangedMachine() {
        CallTimeModel m = CallTimeModel.fit(profile(1), 5);
        java.util.function.DoubleFunction<List<CallTimeModel.Row>> sample = factor -> List.of(1, 8, 32).stream()
                .map(b -> new CallTimeModel.Row(b, 16, 1, 1, 2, factor * law(b, 16, 1, 1))).toList();
        CallTimeModel.Drift slower = m.compare(sample.apply(1.3));
        assertThat(slower.ratio()).isCloseTo(1.3, within(0.05));
        assertThat(slower.points()).isEqualTo(3);
        assertThat(slower.changed()).isTrue();
        assertThat(m.compare(sample.apply(0.7)).changed()).as("faster counts too: the model would plan too few replicas' worth").isTrue();
        CallTimeModel.Drift same = m.compare(sample.apply(1.02));
        assertThat(same.tolerance()).isGreaterThanOrEqualTo(CallTimeModel.LEAST_TOLERANCE);
        assertThat(same.changed()).isFalse();
        assertThatThrownBy(() -> m.compare(List.of())).isInstanceOf(AnalysisException.class);
    }

    @Test
    void aProfileFollowingTheLawIsFittedWithinItsNoiseOnPointsLeftOut() {
        CallTimeModel m = CallTimeModel.fit(profile(1), 5);
        assertThat(m.cvMape()).isLessThan(0.05);
        assertThat(m.cvMapeByGroup()).hasSize(4);
        assertThat(m.millis(8, 16, 1, 1)).isCloseTo(law(8, 16, 1, 1), within(0.1 * law(8, 16, 1, 1)));
        assertThat(m.millis(8, 16, 2, 2)).isCloseTo(law(8, 16, 2, 2), within(0.1 * law(8, 16, 2, 2)));
        assertThatThrownBy(() -> m.millis(8, 16, 4, 1)).isInstanceOf(AnalysisException.class).hasMessageContaining("4 thread(s)");
    }

    @Test
    void readsTheCsvBenchWritesAndRefusesOtherFiles(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("p.csv"), "batch,tokens,padded_tokens,threads,workers,cores,calls,mean_ms,p50_ms,p90_ms,p99_ms\n"
                + "4,16,64,1,1,2,20,15.1,15.0,16.0,18.0\n");
        assertThat(CallTimeModel.read(csv)).containsExactly(new CallTimeModel.Row(4, 16, 1, 1, 2, 15.0));
        Path other = Files.writeString(dir.resolve("o.csv"), "a,b\n1,2\n");
        assertThatThrownBy(() -> CallTimeModel.read(other)).isInstanceOf(AnalysisException.class).hasMessageContaining("not a profile");
    }
}
