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
                assertThat(DrillPlan.of(e)).as(f.toString()).isNotEmpty();
            }
        }
    }

    @Test
    void readsTheReplicaKillDrill() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill.yaml"));
        assertThat(e.target().local()).isTrue();
        assertThat(e.target().replicas()).isEqualTo(3);
        assertThat(e.load().rate()).isEqualTo(40);
        assertThat(e.steadyState().probes()).extracting(Experiment.Probe::metric).containsExactly(Experiment.Probe.Metric.ERRORS, Experiment.Probe.Metric.P99);
        assertThat(e.steadyState().probes().get(0).bound()).isEqualTo(0.005);
        assertThat(e.method()).extracting(Experiment.Step::action)
                .containsExactly(new Action.KillReplica(2), new Action.Pause(Duration.ofSeconds(4)));
        assertThat(e.rollbacks()).extracting(Experiment.Step::describe).containsExactly("restart_replica replica=2");
        assertThat(e.method().get(0).where()).isEqualTo("replica-kill.yaml:22");
        assertThat(e.stopConditions().get(0).sustained()).isEqualTo(Duration.ofSeconds(5));
        assertThat(e.expect()).extracting(x -> x.metric().toString()).containsExactly("lost_requests", "rto", "time_to_detect", "alerts_fired");
        assertThat(e.expect().get(1).value()).isEqualTo(2.0);
        assertThat(((Experiment.Target.Local) e.target()).balancerRetries()).as("the default: a proxy with retries").isEqualTo(3);
        assertThat(e.target().describe()).contains("retries 3 to another replica");
    }

    /** The balancer's retry policy is part of the experiment, said in its plan and journal, and written into HAProxy's configuration. */
    @Test
    void theBalancersRetriesArePartOfTheExperiment() {
        Experiment none = Experiment.read(DRILLS.resolve("replica-kill-no-retries.yaml"));
        assertThat(((Experiment.Target.Local) none.target()).balancerRetries()).isZero();
        assertThat(none.target().describe()).isEqualTo("3 local replicas behind HAProxy (no retries, as a plain Kubernetes Service)");
        assertThat(DrillPlan.of(none).getFirst()).contains("no retries, as a plain Kubernetes Service");
        assertThat(Haproxy.retryPolicy(0)).isEqualTo("  retries 0").doesNotContain("redispatch").doesNotContain("retry-on");
        assertThat(Haproxy.retryPolicy(3)).contains("retries 3", "option redispatch 1", "retry-on conn-failure");
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
        Action.InjectFault fault = (Action.InjectFault) e.method().get(0).action();
        assertThat(fault).isEqualTo(new Action.InjectFault(0, null, null, 0.5, null, Duration.ofSeconds(10)));
        assertThat(fault.body()).isEqualTo("{\"error_rate\":0.5,\"duration_s\":10.0}");
        assertThat(fault.describe()).isEqualTo("inject_fault error_rate=0.5 for=10s");
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
        Map<String, String> cases = new java.util.HashMap<>(Map.of(
                base.replace("replicas: 2", "replicas: 20"), "d.yaml:4: target.replicas: a number in 1..9",
                base.replace("replicas: 2", "replicas: 2\n  balancer: {retries: 11}"), "d.yaml:5: target.balancer.retries: a number in 0..10",
                base.replace("replica: 1", "replica: 3"), "d.yaml:11: method[0].replica: a replica number in 1..2",
                base.replace("kill_replica", "explode"), "d.yaml:10: method[0].action: unknown action explode",
                base.replace("errors<=1%", "errors<=1ms"), "d.yaml:8: steady_state.probes[0]: objective 'errors<=1ms': errors is a share: give it in percent",
                base + "expect: [\"rto<=fast\"]\n", "d.yaml:12: expect[0]: objective 'rto<=fast': not an objective like rto<=2s",
                base + "colour: red\n", "d.yaml:12: colour: unknown field",
                base.replace("rate: 10", "rate: 10\n  burst: 3"), "d.yaml:7: load.burst: unknown field",
                base.replace("type: local\n  replicas: 2", "type: url\n  url: http://x:1"), "method[0].action: kill_replica needs a local or kubernetes target",
                "title: [unclosed\n", "d.yaml:1: not valid YAML: while parsing a flow sequence"));
        cases.putAll(Map.of(
                base + "expect: [\"no alert fires\"]\n", "d.yaml:12: expect[0]: an expectation about alerts needs an alerting block",
                base + "alerting: {observe: 1m}\nexpect: [\"alert X fires within 2m\"]\n",
                "d.yaml:13: expect[0]: the drill watches alerts for alerting.observe 60s, less than 120s",
                base + "alerting: {observe: 1m}\nexpect: [\"alert X fires soon\"]\n", "d.yaml:13: expect[0]: \"alert X fires soon\" is not like",
                base.replace("type: local\n  replicas: 2", "type: url\n  url: http://x:1").replace("kill_replica\n    replica: 1", "clear_faults")
                        + "alerting: {observe: 1m}\n", "alerting: the drill starts its own Prometheus and Alertmanager for a local target only",
                base.replace("type: local\n  replicas: 2", "type: url\n  url: http://x:1").replace("kill_replica\n    replica: 1", "clear_faults")
                        + "expect: [\"time_to_detect<=1s\"]\n", "d.yaml:11: expect[0]: time_to_detect needs a balancer or alerting to watch, and this "
                        + "target has neither; the drill's own watching is time_to_detect_by_readiness or time_to_detect_by_probe"));
        cases.putAll(Map.of(
                base.replace("type: local\n  replicas: 2", "type: kubernetes\n  namespace: n\n  selector: a=b\n  url: http://x:1\n  replicas: 2")
                        + "expect: [\"time_to_detect_by_balancer<=1s\"]\n", "time_to_detect_by_balancer needs a balancer or alerting to watch, "
                        + "and this target has neither (name target.service); the drill's own"));
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
    void alertExpectationsParseAndTheShippedKillDrillsUseThem() {
        Experiment single = Experiment.read(DRILLS.resolve("replica-kill-single.yaml"));
        assertThat(single.alerting()).contains(new Experiment.Alerting(Duration.ofMinutes(4)));
        assertThat(single.expect()).extracting(x -> x.metric().toString()).containsExactly("lost_requests", "rto", "time_to_alert");
        assertThat(single.expect().get(2)).satisfies(x -> {
            assertThat(x.alert()).isEqualTo("RecopsAvailabilityBudgetBurnFast");
            assertThat(x.value()).isEqualTo(180);
            assertThat(x.spec().text()).isEqualTo("time_to_alert<=3m");
            assertThat(x.aboutAlerts()).isTrue();
        });
        assertThat(Experiment.read(DRILLS.resolve("replica-kill.yaml")).expect()).filteredOn(Experiment.Expectation::aboutAlerts)
                .extracting(x -> x.spec().text()).containsExactly("alerts_fired==0");
        // the sentences are the shared grammar's objectives, which may also be written directly
        assertThat(Experiment.Expectation.parse("alerts  resolve within 5m").spec()).isEqualTo(Experiment.Expectation.parse("time_to_resolve<=5m").spec());
        assertThat(Experiment.Expectation.parse("time_to_alert<=90s").alert()).isEmpty();
        assertThat(Experiment.Expectation.parse("alerts_fired<=1").met(1)).isTrue();
        assertThat(Experiment.Expectation.parse("alert Fast fires within 2m").met(119.5)).isTrue();
        assertThat(Experiment.Expectation.parse("alert Fast fires within 2m").met(Double.NaN)).isFalse();
        // one duration grammar: what "for 1h" takes, "within 1h" takes too
        assertThat(Experiment.Expectation.parse("alert Fast fires within 1h").value()).isEqualTo(3600);
        assertThatThrownBy(() -> Experiment.Expectation.parse("alert Fast fires within 2d")).hasMessageContaining("a duration in us, ms, s, m or h");
        assertThatThrownBy(() -> Experiment.Expectation.parse("alert Fast fires soon")).hasMessageContaining("is not like \"alert");
        assertThat(DrillPlan.of(single)).anyMatch(l -> l.startsWith("alongside: Prometheus"))
                .contains("expect alert RecopsAvailabilityBudgetBurnFast fires within 3m");
    }

    /**
     * Detection by source: the headline is the first thing the system did (the balancer here),
     * even when the drill's own readiness poll and probes saw the fault sooner; each source is
     * reported and can be expected on its own.
     */
    @Test
    void theHeadlineDetectionIsTheSystemsAndEachSourceIsReportedApart() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill.yaml"));
        Instant t = Instant.parse("2026-12-07T10:00:00Z");
        Journal.Measurements m = new Journal.Measurements(t, List.of(
                new Journal.Sighting(Journal.Detector.BALANCER, t.plusMillis(1_400), "haproxy marked r2 DOWN"),
                new Journal.Sighting(Journal.Detector.READINESS, t.plusMillis(100), "replica 2 not ready"),
                new Journal.Sighting(Journal.Detector.PROBE, t.plusMillis(300), "a probe failed over its window")),
                t.plusSeconds(3), 500, 0, Map.of(), 0, 40);
        assertThat(m.sightings()).extracting(Journal.Sighting::by)
                .containsExactly(Journal.Detector.READINESS, Journal.Detector.PROBE, Journal.Detector.BALANCER);
        assertThat(m.timeToDetectSeconds()).as("the balancer's, not the poll's 0.1 s").isEqualTo(1.4);
        assertThat(m.detectedBy()).isEqualTo("haproxy marked r2 DOWN");
        assertThat(m.secondsTo(Journal.Detector.READINESS)).isEqualTo(0.1);
        assertThat(m.secondsTo(Journal.Detector.ALERT_FIRING)).isNaN();
        Journal j = new Journal(e, t.minusSeconds(5), t.plusSeconds(20), List.of(), List.of(), m, List.of(), List.of(), List.of(), List.of());
        var json = j.toJson().path("measurements");
        assertThat(json.path("time_to_detect_s").asDouble()).isEqualTo(1.4);
        assertThat(json.path("detected_by_system").asBoolean()).isTrue();
        assertThat(json.path("detection").findValuesAsText("by")).containsExactly("readiness", "probe", "balancer");
        assertThat(json.path("detection").get(0).path("after_s").asDouble()).isEqualTo(0.1);
        assertThat(j.summary()).contains("  detected haproxy marked r2 DOWN at +1.40 s",
                "  by source: readiness poll +0.10 s, probe +0.30 s, balancer +1.40 s");
        assertThat(j.toMarkdown()).contains("## Detection by source", "| balancer | yes | +1.40 s | haproxy marked r2 DOWN |",
                "| readiness poll | no | +0.10 s | replica 2 not ready |", "| alert firing | yes | not seen | - |");
        for (Journal.Detector d : Journal.Detector.values()) {
            assertThat(Experiment.Expectation.parse(d.measure + "<=2s").value()).as(d.measure).isEqualTo(2.0);
        }
        assertThat(Experiment.Expectation.parse("time_to_detect_by_readiness<=500ms").value()).isEqualTo(0.5);
        assertThat(Experiment.Expectation.parse("time_to_notify<=3m").aboutAlerts()).isTrue();
        assertThat(Experiment.Expectation.parse("time_to_detect_by_probe<=1s").aboutAlerts()).isFalse();
    }

    /** A fault that only the drill's own poller saw is not called detected: the report says who saw it. */
    @Test
    void aFaultSeenOnlyByTheDrillsOwnPollerSaysSo() {
        Experiment e = Experiment.read(DRILLS.resolve("latency-degraded.yaml"));
        Instant t = Instant.parse("2026-12-07T10:00:00Z");
        Journal.Measurements m = new Journal.Measurements(t, List.of(new Journal.Sighting(Journal.Detector.PROBE, t.plusMillis(1_200),
                "a probe failed over its window")), t.plusSeconds(9), 300, 0, Map.of(), 0, 400);
        assertThat(m.detection()).isEmpty();
        assertThat(m.detectedAt()).isNull();
        assertThat(m.timeToDetectSeconds()).isNaN();
        assertThat(m.onlyByTheDrill()).map(Journal.Sighting::by).contains(Journal.Detector.PROBE);
        Journal j = new Journal(e, t.minusSeconds(5), t.plusSeconds(20), List.of(), List.of(), m, List.of(), List.of(), List.of(), List.of());
        assertThat(j.toJson().path("measurements").path("detected_by_system").asBoolean()).isFalse();
        assertThat(j.toJson().path("measurements").path("time_to_detect_s").isNull()).isTrue();
        assertThat(j.toMarkdown()).contains("| detected (by the system) | not by the system", "| balancer | yes | not seen | - |",
                "| alert firing | yes | not watched | - |");
        assertThat(j.summary()).contains("  detected not by the system (no balancer took a replica out, no alert fired); only by the drill's "
                + "own probe: a probe failed over its window at +1.20 s");
    }

    /** The alerting pipeline's sightings: the first alert after the fault to go pending, to fire, to be notified. */
    @Test
    void alertSightingsAreTheFirstOfEachStateAfterTheFault() {
        Instant f = Instant.parse("2026-12-07T10:00:00Z");
        List<Journal.Alert> alerts = List.of(
                new Journal.Alert("Slow", f.plusSeconds(1), f.plusSeconds(200), null, null, null),
                new Journal.Alert("Fast", f.plusSeconds(2), f.plusSeconds(122), f.plusSeconds(123), null, null),
                new Journal.Alert("Old", f.minusSeconds(30), null, null, null, null));
        assertThat(AlertMeasures.sightings(alerts, f)).containsExactly(
                new Journal.Sighting(Journal.Detector.ALERT_PENDING, f.plusSeconds(1), "alert Slow pending"),
                new Journal.Sighting(Journal.Detector.ALERT_FIRING, f.plusSeconds(122), "alert Fast firing"),
                new Journal.Sighting(Journal.Detector.ALERT_NOTIFIED, f.plusSeconds(123), "alert Fast notified"));
        Journal.Measurements m = new Journal.Measurements(f, AlertMeasures.sightings(alerts, f), null, 10, 0, Map.of(), 0, 1);
        assertThat(m.detectedBy()).as("an alert firing is the system's detection; pending is not").isEqualTo("alert Fast firing");
        assertThat(m.timeToDetectSeconds()).isEqualTo(122);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("time_to_alert_pending<=1m"), alerts, m)).isEqualTo(1);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("time_to_notify<=3m"), alerts, m)).isEqualTo(123);
    }

    /** The alert measurements as pure functions of what the pipeline saw. */
    @Test
    void alertMeasurementsAreTimesFromTheFaultAndTheRecovery() {
        Instant fault = Instant.parse("2026-11-30T10:00:00Z");
        Journal.Measurements m = new Journal.Measurements(fault, List.of(new Journal.Sighting(Journal.Detector.PROBE, fault.plusSeconds(1), "a probe failed")),
                fault.plusSeconds(30), 100, 10,
                Map.of(), 0, 10);
        Journal.Alert fast = new Journal.Alert("Fast", fault.plusSeconds(2), fault.plusSeconds(122), fault.plusSeconds(123), fault.plusSeconds(330), null);
        Journal.Alert absorbed = new Journal.Alert("Slow", fault.plusSeconds(2), null, null, fault.plusSeconds(20), null);
        List<Journal.Alert> seen = List.of(fast, absorbed);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("alert Fast fires within 3m"), seen, m)).isEqualTo(122);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("alert Slow fires within 3m"), seen, m)).isNaN();
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("alert Other fires within 3m"), seen, m)).isNaN();
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("time_to_alert<=3m"), seen, m)).as("the first to fire").isEqualTo(122);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("no alert fires"), seen, m)).isEqualTo(1);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("no alert fires"), List.of(absorbed), m)).isZero();
        // from the recovery at +30 s to the resolution at +330 s
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("alerts resolve within 5m"), seen, m)).isEqualTo(300);
        Journal.Alert unresolved = new Journal.Alert("Fast", fault, fault.plusSeconds(120), null, null, null);
        assertThat(AlertMeasures.measure(Experiment.Expectation.parse("alerts resolve within 5m"), List.of(unresolved), m)).isNaN();
        // transitions as the pipeline applies them
        Journal.Alert a = new Journal.Alert("A", null, null, null, null, null).with(Journal.Transition.PENDING, fault)
                .with(Journal.Transition.FIRING, fault.plusSeconds(120)).with(Journal.Transition.NOTIFIED_FIRING, fault.plusSeconds(121))
                .with(Journal.Transition.RESOLVED, fault.plusSeconds(400));
        assertThat(a).isEqualTo(new Journal.Alert("A", fault, fault.plusSeconds(120), fault.plusSeconds(121), fault.plusSeconds(400), null));
    }

    /**
     * An alert that fires, resolves, and goes pending and fires again: its time to alert is the
     * first firing's (the refire used to overwrite it), the resolution the last one's.
     */
    @Test
    void aRefiringAlertKeepsItsFirstPendingFiringAndNotificationTimes() {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        Journal.Alert a = new Journal.Alert("A", null, null, null, null, null)
                .with(Journal.Transition.PENDING, t.plusSeconds(2)).with(Journal.Transition.FIRING, t.plusSeconds(122))
                .with(Journal.Transition.NOTIFIED_FIRING, t.plusSeconds(123)).with(Journal.Transition.RESOLVED, t.plusSeconds(300))
                .with(Journal.Transition.NOTIFIED_RESOLVED, t.plusSeconds(301))
                .with(Journal.Transition.PENDING, t.plusSeconds(400)).with(Journal.Transition.FIRING, t.plusSeconds(520))
                .with(Journal.Transition.NOTIFIED_FIRING, t.plusSeconds(521));
        assertThat(a.pendingAt()).isEqualTo(t.plusSeconds(2));
        assertThat(a.firingAt()).as("the first firing stands").isEqualTo(t.plusSeconds(122));
        assertThat(a.notifiedAt()).isEqualTo(t.plusSeconds(123));
        assertThat(a.resolvedAt()).as("firing again: not resolved").isNull();
        assertThat(a.with(Journal.Transition.RESOLVED, t.plusSeconds(700)).resolvedAt()).isEqualTo(t.plusSeconds(700));
        assertThat(Journal.Transition.notified("firing")).contains(Journal.Transition.NOTIFIED_FIRING);
        assertThat(Journal.Transition.notified("weird")).isEmpty();
    }

    @Test
    void theJournalAndReportShowEachAlertFromTheFault() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill-single.yaml"));
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        Journal.Measurements m = new Journal.Measurements(t.plusSeconds(5), List.of(new Journal.Sighting(Journal.Detector.BALANCER, t.plusMillis(5200), "haproxy marked r1 DOWN")),
                null, 400, 120,
                Map.of("status_503", 120L), 60, 900);
        Journal j = new Journal(e, t, t.plusSeconds(200), List.of(), List.of(), m, List.of(), List.of(),
                List.of(new Journal.ExpectationResult("alert RecopsAvailabilityBudgetBurnFast fires within 3m", 122.5, true)), List.of(),
                List.of(new Journal.Alert("RecopsAvailabilityBudgetBurnFast", t.plusSeconds(7), t.plusMillis(127_500), t.plusMillis(128_700), null,
                        null)));
        var alert = j.toJson().path("alerts").get(0);
        assertThat(alert.path("alert").asText()).isEqualTo("RecopsAvailabilityBudgetBurnFast");
        assertThat(alert.path("time_to_alert_s").asDouble()).isEqualTo(122.5);
        assertThat(alert.path("time_to_notify_s").asDouble()).isEqualTo(123.7);
        assertThat(alert.path("resolved_at").isNull()).isTrue();
        assertThat(j.toMarkdown()).contains("## Alerts", "| RecopsAvailabilityBudgetBurnFast | +2.0 s | +122.5 s | +123.7 s | - |");
        assertThat(j.summary()).contains("  alert RecopsAvailabilityBudgetBurnFast: fired at +122.5 s (pending +2.0 s), notified +123.7 s, not resolved");
    }

    @Test
    void theJournalCarriesTheTimelineForReviewAndTheReportNamesTheFailedExpectation() {
        Experiment e = Experiment.read(DRILLS.resolve("replica-kill-single.yaml"));
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        Journal j = new Journal(e, t, t.plusSeconds(20),
                List.of(new Journal.Activity("method", "kill_replica replica=1", t.plusSeconds(5), t.plusSeconds(5), "succeeded", "SIGKILL")),
                List.of(new Journal.Event(t.plusSeconds(5), "fault: kill_replica replica=1")),
                new Journal.Measurements(t.plusSeconds(5), List.of(new Journal.Sighting(Journal.Detector.BALANCER, t.plusMillis(5200), "haproxy marked r1 DOWN")),
                null, 400, 120,
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
