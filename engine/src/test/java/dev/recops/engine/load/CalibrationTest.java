package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The calibration's plan, budget, pinning and resumption, without running a server. */
class CalibrationTest {
    private static final List<Double> FRACTIONS = List.of(0.25, 0.5, 0.8);

    private static CalibrationPlan plan(String... configs) {
        return new CalibrationPlan(Optional.empty(), java.util.Arrays.stream(configs).map(CalibrationPlan.ServerConfig::parse).toList(), true,
                FRACTIONS, 2, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(15), 1);
    }

    @Test
    void aPlanListsItsStepsInOrderAndEstimatesThem() {
        CalibrationPlan p = plan("8/1/1", "1/1/1", "4/2/1");
        List<CalibrationPlan.Step> steps = p.steps();
        assertThat(steps).hasSize(1 + 3 * (1 + 3 * 2));
        assertThat(steps.getFirst()).isInstanceOf(CalibrationPlan.Step.Profile.class);
        assertThat(steps.get(1).key()).isEqualTo("capacity 8/1/1 1");
        assertThat(steps.get(2).describe()).isEqualTo("8/1/1: run 1 at 25% of capacity");
        assertThat(steps.stream().map(CalibrationPlan.Step::key).distinct()).as("keys name one step each").hasSize(steps.size());
        // profile 180 s; per configuration: start 10 + warm-up 15 + 1.5, 7 probes of 10 + 3 + 1.5, 6 runs of 30 + 5 + 1.5
        assertThat(p.estimate()).isEqualTo(Duration.ofMillis(180_000 + 3 * (26_500 + 7 * 14_500 + 6 * 36_500)));
        assertThat(p.describe(new Calibration.Pinning("1", "0", ""))).contains("3 configurations (batch-max/workers/threads): 8/1/1, 1/1/1, 4/2/1",
                "the server on CPU 1, the load generator on CPU 0 (taskset)", "22 steps, about 20m21s in all");
    }

    @Test
    void aBudgetChoosesMoreConfigurationsFirstThenRepeats() {
        CalibrationPlan small = CalibrationPlan.forBudget(Duration.ofMinutes(20), 1, true, FRACTIONS, Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(15), 1);
        assertThat(small.configs()).hasSize(4);
        assertThat(small.repeats()).isEqualTo(1);
        assertThat(small.estimate()).isLessThanOrEqualTo(Duration.ofMinutes(20));
        assertThat(small.configs()).allMatch(c -> c.threads() == 1).as("one server CPU: one thread per call");
        CalibrationPlan big = CalibrationPlan.forBudget(Duration.ofHours(2), 1, true, FRACTIONS, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 1);
        assertThat(big.configs().size()).isGreaterThan(small.configs().size());
        assertThat(big.repeats()).isGreaterThan(1);
        assertThat(CalibrationPlan.forBudget(Duration.ofHours(9), 4, true, FRACTIONS, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 1).configs()).anyMatch(c -> c.threads() == 2);
        assertThatThrownBy(() -> CalibrationPlan.forBudget(Duration.ofMinutes(2), 1, true, FRACTIONS, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 1)).isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageStartingWith("--budget 2m is less than the smallest calibration (3 configurations, 1 run each): about ");
    }

    @Test
    void badPlansAreRefusedInOneLine() {
        assertThatThrownBy(() -> plan("8/1/1", "1/1/1")).hasMessageContaining("at least 3 configurations");
        assertThatThrownBy(() -> CalibrationPlan.ServerConfig.parse("8/one/1")).hasMessage("configuration \"8/one/1\" is not BATCH_MAX/WORKERS/THREADS like 8/1/1");
        assertThatThrownBy(() -> CalibrationPlan.ServerConfig.parse("0/1/1")).isInstanceOf(RecopsException.InvalidInput.class);
        assertThatThrownBy(() -> new CalibrationPlan(Optional.empty(), plan("1/1/1", "2/1/1", "4/1/1").configs(), true, List.of(1.5), 1,
                Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(15), 1)).hasMessageContaining("fractions of capacity");
    }

    @Test
    void pinningGivesTheServerEveryCpuButTheFirstAndSaysWhenItCannot() {
        Calibration.Pinning two = Calibration.Pinning.detect(List.of(0, 1), true);
        assertThat(two.pinned()).isTrue();
        assertThat(two.server(List.of("recops", "serve"))).containsExactly("taskset", "-c", "1", "recops", "serve");
        assertThat(two.load(List.of("recops", "bench"))).containsExactly("taskset", "-c", "0", "recops", "bench");
        assertThat(Calibration.Pinning.detect(List.of(2, 3, 5), true).serverCpus(3)).isEqualTo(2);
        Calibration.Pinning one = Calibration.Pinning.detect(List.of(0), true);
        assertThat(one.pinned()).isFalse();
        assertThat(one.server(List.of("recops"))).containsExactly("recops");
        assertThat(one.describe()).startsWith("not pinned: one CPU");
        assertThat(Calibration.Pinning.detect(List.of(0, 1), false).describe()).contains("taskset (Debian package util-linux) is not installed");
        assertThat(Calibration.cpuList("0-2,5")).containsExactly(0, 1, 2, 5);
    }

    /**
     * Resumption: the journal's steps are done; the capacity is the median of the searches that
     * found one; more configurations extend the directory, runs measured another way are refused.
     */
    @Test
    void aCalibrationResumesFromItsJournalAndRefusesAnotherPlanInItsDirectory(@TempDir Path dir) throws Exception {
        CalibrationPlan p = plan("8/1/1", "1/1/1", "4/2/1");
        Calibration.Dir d = new Calibration.Dir(dir);
        assertThat(Calibration.begin(p, d)).isEmpty();
        Files.writeString(dir.resolve("journal.jsonl"), """
                {"step":"profile"}
                {"step":"capacity 8/1/1 1","max_rate":300.0}
                {"step":"run 8/1/1 0.2500 1","rate":75.0}
                """);
        Map<String, com.fasterxml.jackson.databind.JsonNode> done = Calibration.begin(p, d);
        assertThat(done).containsKeys("profile", "capacity 8/1/1 1", new CalibrationPlan.Step.Run(CalibrationPlan.ServerConfig.parse("8/1/1"), 0.25, 1).key());
        assertThat(Calibration.capacity(done, CalibrationPlan.ServerConfig.parse("8/1/1"), 1)).hasValue(300.0);
        assertThat(Calibration.capacity(done, CalibrationPlan.ServerConfig.parse("1/1/1"), 1)).isEmpty();
        assertThat(Calibration.begin(plan("8/1/1", "1/1/1", "4/2/1", "16/1/1"), d)).as("more configurations extend it").hasSize(3);
        CalibrationPlan shorter = new CalibrationPlan(Optional.empty(), p.configs(), true, FRACTIONS, 2, Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(15), 1);
        assertThatThrownBy(() -> Calibration.begin(shorter, d)).isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("holds runs measured another way (method.json): the same --fractions, lengths, --finds and --url resume");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(CalibrationPlan.format(Duration.ofSeconds(42))).isEqualTo("42s");
        assertThat(CalibrationPlan.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(CalibrationPlan.format(Duration.ofMinutes(20))).isEqualTo("20m");
        assertThat(CalibrationPlan.format(Duration.ofMinutes(135))).isEqualTo("2h15m");
    }
}
