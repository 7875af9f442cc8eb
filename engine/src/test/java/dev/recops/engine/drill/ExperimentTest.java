package dev.recops.engine.drill;

import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExperimentTest {
    static final Path DRILLS = Path.of(System.getProperty("recops.drills", "../scripts/drills"));

    @Test
    void everyShippedDrillIsValid() throws IOException {
        try (var files = Files.list(DRILLS)) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertThat(all).hasSizeGreaterThanOrEqualTo(6);
            for (Path f : all) {
                Experiment e = Experiment.read(f);
                assertThat(e.title()).as(f.toString()).isNotBlank();
                assertThat(Drill.plan(e)).as(f.toString()).isNotEmpty();
            }
        }
    }

    @Test
    void readsTheReplicaKillDrill() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill.yaml"));
        assertThat(e.target().local()).isTrue();
        assertThat(e.target().replicas()).isEqualTo(3);
        assertThat(e.load().rate()).isEqualTo(40);
        assertThat(e.steadyState().probes()).extracting(Experiment.Probe::metric).containsExactly("errors", "p99");
        assertThat(e.steadyState().probes().get(0).bound()).isEqualTo(0.005);
        assertThat(e.method()).extracting(Experiment.Step::action).containsExactly("kill_replica", "pause");
        assertThat(e.method().get(0).replica()).isEqualTo(2);
        assertThat(e.method().get(1).duration("for")).isEqualTo(Duration.ofSeconds(4));
        assertThat(e.method().get(0).where()).isEqualTo("replica-kill.yaml:22");
        assertThat(e.stopConditions().get(0).sustained()).isEqualTo(Duration.ofSeconds(5));
        assertThat(e.expect()).extracting(Experiment.Expectation::metric).containsExactly("lost_requests", "rto", "time_to_detect");
        assertThat(e.expect().get(1).value()).isEqualTo(2.0);
    }

    @Test
    void jsonIsAcceptedToo(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("d.json"), """
                {"title": "t", "target": {"type": "url", "url": "http://127.0.0.1:9", "admin": ["http://127.0.0.1:10"]},
                 "load": {"rate": 5}, "steady_state": {"probes": ["p99<=1s"]},
                 "method": [{"action": "inject_fault", "error_rate": 0.5, "for": "10s"}], "expect": ["error_budget<=50%"]}
                """);
        Experiment e = Experiment.read(f);
        assertThat(e.steadyState().probes().get(0).bound()).isEqualTo(1000);
        assertThat(e.method().get(0).args()).containsEntry("error_rate", 0.5).containsEntry("for", Duration.ofSeconds(10));
        assertThat(e.destructiveOnUrl()).isTrue();
        assertThat(e.expect().get(0).value()).isEqualTo(0.5);
    }

    @Test
    void invalidFilesAreRefusedNamingTheFieldAndLine(@TempDir Path dir) throws IOException {
        String base = """
                title: t
                target:
                  type: local
                  replicas: 2
                load:
                  rate: 10
                steady_state:
                  probes: ["errors<=1%"]
                method:
                  - action: kill_replica
                    replica: 1
                """;
        Map<String, String> cases = Map.of(
                base.replace("replicas: 2", "replicas: 20"), "d.yaml:4: target.replicas: a number in 1..9",
                base.replace("replica: 1", "replica: 3"), "d.yaml:11: method[0].replica: a replica number in 1..2",
                base.replace("kill_replica", "explode"), "d.yaml:10: method[0].action: unknown action explode",
                base.replace("errors<=1%", "errors<=1ms"), "d.yaml:8: steady_state.probes[0]: objective 'errors<=1ms': errors is a share: give it in percent",
                base + "expect: [\"rto<=fast\"]\n", "d.yaml:12: expect[0]: objective 'rto<=fast': not an objective like rto<=2s",
                base + "colour: red\n", "d.yaml:12: colour: unknown field",
                base.replace("rate: 10", "rate: 10\n  burst: 3"), "d.yaml:7: load.burst: unknown field",
                base.replace("type: local\n  replicas: 2", "type: url\n  url: http://x:1"), "method[0].action: kill_replica needs a local target",
                "title: [unclosed\n", "d.yaml:1: not valid YAML: while parsing a flow sequence");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path f = Files.writeString(dir.resolve("d.yaml"), c.getKey());
            assertThatThrownBy(() -> Experiment.read(f)).as(c.getValue()).isInstanceOf(RecopsException.InvalidInput.class)
                    .hasMessageContaining(c.getValue());
        }
        assertThatThrownBy(() -> Experiment.read(dir.resolve("none.yaml"))).isInstanceOf(RecopsException.PreconditionFailed.class);
    }

    /** Found by ExperimentFuzzTest: a file that is not UTF-8 was "cannot read ...: Input length = 1", exit 4. */
    @Test
    void aFileThatIsNotUtf8IsInvalidInputNotAMissingPrecondition(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("drill.yaml");
        java.nio.file.Files.write(file, new byte[] {'t', 'i', 't', 'l', 'e', ':', ' ', (byte) 0xC3, (byte) 0x28});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Experiment.read(file))
                .isInstanceOf(dev.recops.engine.RecopsException.InvalidInput.class).hasMessageEndingWith("not UTF-8 text");
    }

    /** Found by ExperimentFuzzTest in the suite's fuzz pass: a quoted YAML key with line breaks made a three-line error. */
    @Test
    void aFieldNameWithLineBreaksIsNamedOnOneLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("drill.yaml");
        java.nio.file.Files.writeString(file, "title: x\n\"g\\ng\\ns\": 1\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Experiment.read(file))
                .isInstanceOf(dev.recops.engine.RecopsException.InvalidInput.class)
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n").contains("g\\u000ag\\u000as: unknown field"));
    }

    @Test
    void expectationsAndProbesCompareInTheirUnits() {
        assertThat(Experiment.Expectation.parse("rto<=1500ms").met(1.5)).isTrue();
        assertThat(Experiment.Expectation.parse("rto<=1500ms").met(1.6)).isFalse();
        assertThat(Experiment.Expectation.parse("rto<=2s").met(Double.NaN)).isFalse();
        assertThat(Experiment.Expectation.parse("lost_requests==0").met(0)).isTrue();
        assertThat(Experiment.Expectation.parse("lost_share<=0.1%").met(0.002)).isFalse();
        assertThat(Experiment.Probe.parse("ready>=3").holds(2)).isFalse();
        assertThat(Experiment.Probe.parse("p99<=0.5s").bound()).isEqualTo(500);
    }

    @Test
    void theJournalCarriesTheTimelineForReviewAndTheReportNamesTheFailedExpectation() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill-single.yaml"));
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        Journal j = new Journal(e, t, t.plusSeconds(20),
                List.of(new Journal.Activity("method", "kill_replica replica=1", t.plusSeconds(5), t.plusSeconds(5), "succeeded", "SIGKILL")),
                List.of(new Journal.Event(t.plusSeconds(5), "fault: kill_replica replica=1")),
                new Journal.Measurements(t.plusSeconds(5), t.plusMillis(5200), "replica 1 not ready", null, null, 400, 120,
                        Map.of("status_503", 120L), 0.3 / 0.005, 900),
                List.of(new Journal.ProbeResult("errors<=0.5%", 0, true)), List.of(new Journal.ProbeResult("errors<=0.5%", 30, false)),
                List.of(new Journal.ExpectationResult("lost_requests==0", 120, false), new Journal.ExpectationResult("rto<=2s", Double.NaN, false)),
                List.of("expectation lost_requests==0 not met: measured 120"));
        var json = j.toJson();
        assertThat(json.path("status").asText()).isEqualTo("deviated");
        assertThat(json.path("timeline").get(0).path("event").asText()).isEqualTo("drill: fault: kill_replica replica=1");
        assertThat(json.path("measurements").path("time_to_detect_s").asDouble()).isEqualTo(0.2);
        assertThat(json.path("measurements").path("rto_s").isNull()).isTrue();
        assertThat(json.path("measurements").path("lost_by_kind").path("status_503").asLong()).isEqualTo(120);
        assertThat(j.toMarkdown()).contains("**Deviated**: expectation lost_requests==0 not met: measured 120", "| `rto<=2s` | not measured | **no** |");
    }
}
