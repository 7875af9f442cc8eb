package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalDiffTest {
    private static final Instant T = Instant.parse("2026-11-30T10:00:00Z");

    private static Journal run(long lost, long rtoMillis, boolean lostMet, Journal.Alert... alerts) {
        Experiment e = Experiment.read(ExperimentTest.DRILLS.resolve("replica-kill-single.yaml"));
        Journal.Measurements m = new Journal.Measurements(T, List.of(new Journal.Sighting(Journal.Detector.PROBE, T.plusMillis(200), "a probe failed"),
                new Journal.Sighting(Journal.Detector.BALANCER, T.plusMillis(300), "haproxy marked r1 DOWN")),
                rtoMillis < 0 ? null : T.plusMillis(rtoMillis), 1000, lost, lost == 0 ? Map.of() : Map.of("status_503", lost), 0.2, 40);
        List<Journal.ProbeResult> after = List.of(new Journal.ProbeResult("errors<=0.5%", lost == 0 ? 0 : 37.5, lost == 0));
        return new Journal(e, T.minusSeconds(5), T.plusSeconds(200), List.of(), List.of(), m, List.of(), after,
                List.of(new Journal.ExpectationResult("lost_requests==0", lost, lostMet)), lostMet ? List.of() : List.of("lost"), List.of(alerts));
    }

    @Test
    void showsWhatChangedAndMarksWhatGotWorse() {
        Journal a = run(0, 1500, true);
        Journal b = run(120, -1, false, new Journal.Alert("RecopsAvailabilityBudgetBurnFast", T.plusSeconds(2), T.plusSeconds(122),
                T.plusSeconds(123), null, null));
        List<JournalDiff.Row> rows = JournalDiff.compare(a.toJson(), "a.json", b.toJson(), "b.json");
        assertThat(rows).contains(
                new JournalDiff.Row("status", "held", "deviated", "changed", true),
                new JournalDiff.Row("steady state before", "-", "-", "", false),
                new JournalDiff.Row("steady state after", "held", "failed (errors<=0.5%: 37.5)", "changed", true),
                new JournalDiff.Row("time to detect (system)", "0.3 s", "0.3 s", "", false),
                new JournalDiff.Row("  by balancer", "0.3 s", "0.3 s", "", false),
                new JournalDiff.Row("  by probe", "0.2 s", "0.2 s", "", false),
                new JournalDiff.Row("RTO", "1.5 s", "-", "changed", true),
                new JournalDiff.Row("lost requests", "0", "120", "+120", true),
                new JournalDiff.Row("  lost: status_503", "0", "120", "+120", true),
                new JournalDiff.Row("expect lost_requests==0", "met (0)", "NOT MET (120)", "changed", true),
                new JournalDiff.Row("alert RecopsAvailabilityBudgetBurnFast", "-", "fired", "changed", false),
                new JournalDiff.Row("  time to alert", "-", "122 s", "changed", false));
        List<String> table = JournalDiff.table(rows, "a.json", "b.json");
        assertThat(table.getFirst()).contains("a.json", "b.json", "change");
        assertThat(table).anyMatch(l -> l.startsWith("lost requests") && l.endsWith("+120 !"));
        // the same run twice: nothing changed
        assertThat(JournalDiff.compare(a.toJson(), "a", a.toJson(), "a")).allMatch(r -> r.change().isEmpty() && !r.worse());
    }

    @Test
    void aFileThatIsNotAJournalIsRefusedByName() {
        var other = new ObjectMapper().createObjectNode().put("title", "x");
        assertThatThrownBy(() -> JournalDiff.compare(run(0, 1, true).toJson(), "a.json", other, "bench.json"))
                .isInstanceOf(RecopsException.InvalidInput.class).hasMessageContaining("bench.json is not a drill journal");
    }
}
