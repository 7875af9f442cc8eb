package dev.recops.analysis.latency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 31's data (testdata/latency/calibrated, and quiet/ judged on warm/held): a model trained on
 * what {@code train --measure} measured, judged on three configurations chosen before fitting. The intervals a planner reads
 * are judged here: the share of the held-out points inside them (the bar: at least 80%) and how
 * wide they are, which this data leaves far above the bar (docs/performance.md).
 */
class CalibratedDataTest {
    private static final Path DATA = TrainingDataTest.RUNS.getParent();

    /** Each calibration (its training runs) and the held-out truth it is judged on. */
    static Stream<Arguments> calibrations() {
        return Stream.of(Arguments.of("calibrated/train", "calibrated/held"), Arguments.of("quiet/train", "warm/held"));
    }

    @ParameterizedTest
    @MethodSource("calibrations")
    void theIntervalsCoverTheHeldOutPointsAndTrainSaysHowWideTheyAre(String trainDir, String heldDir) {
        Path train = DATA.resolve(trainDir);
        TrainingData data = TrainingData.read(List.of(train.resolve("runs.csv"), train.resolve("capacity.csv")), Optional.empty())
                .withProfile(train.resolve("profile.csv"));
        LatencyModel m = Trainer.train(data, Optional.of(Algorithm.SIMULATION), 5);
        // the CPU around the batcher was measured, so the whole server is simulated: at 100/s it takes 3-30% of the CPU
        LatencyModel.SimulationFacts outside = m.simulation().orElseThrow();
        assertThat(outside.measured()).isTrue();
        assertThat(100 * outside.outsideMillis() + outside.backgroundMillis()).isBetween(30.0, 300.0);
        assertThat(outside.outsideLatencyMillis()).isBetween(0.3, 10.0);
        for (Trainer.TargetReport r : m.reports()) {
            Trainer.Score s = r.chosenScore();
            assertThat(s.widthRatio80()).as(r.target().label()).isGreaterThan(1);
            assertThat(s.coverage80()).as(r.target().label()).isBetween(0.0, 1.0);
        }
        List<Observation> held = TrainingData.read(List.of(DATA.resolve(heldDir).resolve("runs.csv")), Optional.empty()).observations();
        int inside50 = 0;
        int inside99 = 0;
        for (Observation o : held) {
            LatencyModel.Prediction p = m.predict(o.query());
            inside50 += p.interval(Target.P50).contains(o.p50()) ? 1 : 0;
            inside99 += p.interval(Target.P99).contains(o.p99()) ? 1 : 0;
        }
        System.out.printf(trainDir + ", held out: inside the 80%% interval p50 %d/%d, p99 %d/%d%n", inside50, held.size(), inside99, held.size());
        assertThat(held).hasSize(9);
        assertThat(inside50).isGreaterThanOrEqualTo((int) Math.ceil(0.8 * held.size()));
        assertThat(inside99).isGreaterThanOrEqualTo((int) Math.ceil(0.8 * held.size()));
    }

    @Test
    void theConformalQuantileIsTheRankThatCoversEightInTenNewPoints() {
        double[] errors = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
        assertThat(Trainer.conformal80(errors)).isEqualTo(0.8); // rank ⌈0.8·10⌉ = 8
        assertThat(Trainer.conformal80(new double[] {0.3, 0.1})).isEqualTo(0.3); // beyond n: the largest
        assertThat(Trainer.conformal80(new double[0])).isNaN();
    }
}
