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
    /** 2.7 ms a call plus 0.19 ms a padded token over the threads, stretched when threads outnumber 2 cores; 3% noise. */
    private static double law(int batch, int tokens, int threads, int workers) {
        double overload = Math.max(0, workers * threads / 2.0 - 1);
        return 2.7 + 0.19 * batch * tokens / threads + 0.19 * batch * tokens * overload;
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

    @Test
    void aProfileFollowingTheLawIsFittedWithinItsNoiseOnPointsLeftOut() {
        CallTimeModel m = CallTimeModel.fit(profile(1), 5);
        assertThat(m.cvMape()).isLessThan(0.05);
        assertThat(m.millis(8, 16, 1, 1, 2)).isCloseTo(law(8, 16, 1, 1), within(0.1 * law(8, 16, 1, 1)));
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
