package dev.recops.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped drills, end to end through the distribution's launcher: replicas behind a real
 * HAProxy (Debian package haproxy; scripts/test installs it), faults, measurements, journal,
 * report and exit codes.
 *
 * <p>Each test runs a shipped experiment as written except for what is this machine's speed: the
 * latency probes of its steady state and its time objectives (rto, time_to_detect) are taken out,
 * and the alerting pipeline loads the shipped rules without the latency burn alerts. What is left
 * (loss, errors, the order of events, which alerts fire) is judged strictly.
 */
@Tag("blackbox")
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a drill with alerting watches for 150 s to 4 minutes
class DrillIT {
    static final Path DRILLS = Path.of(System.getProperty("recops.drills"));
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path cache; // one embedding cache for every drill's replicas: only the first embeds the catalog

    record Run(int exit, String out, String err, JsonNode journal, String report) {}

    static Run drill(Path dir, String experiment, String... extra) throws IOException, InterruptedException {
        Path journal = dir.resolve("journal.json");
        Path report = dir.resolve("report.md");
        List<String> cmd = new ArrayList<>(List.of(LaunchedServer.DIST.resolve("bin/recops").toString(), "drill",
                withoutSpeedObjectives(DRILLS.resolve(experiment), dir).toString(), "--journal", journal.toString(), "--report", report.toString(),
                "--cache-dir", cache.toString(), "--work-dir", dir.resolve("work").toString(), "--rules", availabilityRules(dir).toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("HOME", dir.toString());
        pb.environment().remove("JAVA_HOME");
        Process p = pb.start();
        if (!p.waitFor(8, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("drill " + experiment + " ran over 8 minutes");
        }
        String err = Files.readString(dir.resolve("err.txt"));
        JsonNode j = Files.exists(journal) ? new ObjectMapper().readTree(journal.toFile()) : null;
        return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt")), err, j, Files.exists(report) ? Files.readString(report) : "");
    }

    /** The experiment as shipped, less its latency probes and time objectives, written into {@code dir}. */
    static Path withoutSpeedObjectives(Path shipped, Path dir) throws IOException {
        ObjectNode e = (ObjectNode) YAML.readTree(shipped.toFile());
        ArrayNode probes = (ArrayNode) e.path("steady_state").path("probes");
        for (int i = probes.size() - 1; i >= 0; i--) {
            if (probes.get(i).asText().matches("p\\d.*")) {
                probes.remove(i);
            }
        }
        if (e.get("expect") instanceof ArrayNode expect) {
            for (int i = expect.size() - 1; i >= 0; i--) {
                if (expect.get(i).asText().matches("(rto|time_to_detect)\\s*<=.*")) {
                    expect.remove(i);
                }
            }
        }
        Path copy = dir.resolve(shipped.getFileName());
        YAML.writeValue(copy.toFile(), e);
        return copy;
    }

    /** The shipped Prometheus rules without the latency burn alerts (this machine's speed). */
    static Path availabilityRules(Path dir) throws IOException {
        Path shipped = LaunchedServer.DIST.resolve("deploy/prometheus/recops-rules.yml");
        ObjectNode rules = (ObjectNode) YAML.readTree(shipped.toFile());
        for (JsonNode group : rules.path("groups")) {
            ArrayNode list = (ArrayNode) group.path("rules");
            for (int i = list.size() - 1; i >= 0; i--) {
                if (list.get(i).path("alert").asText().startsWith("RecopsLatency")) {
                    list.remove(i);
                }
            }
        }
        Path copy = dir.resolve("recops-rules.yml");
        YAML.writeValue(copy.toFile(), rules);
        return copy;
    }

    @BeforeAll
    static void needsHaproxy() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("haproxy", "-v").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as("haproxy (Debian package haproxy) must be installed for the drill tests").isZero();
        for (List<String> tool : List.of(List.of("prometheus", "prometheus"), List.of("prometheus-alertmanager", "prometheus-alertmanager"))) {
            Process v = new ProcessBuilder(tool.getFirst(), "--version").redirectErrorStream(true).start();
            v.getInputStream().readAllBytes();
            assertThat(v.waitFor()).as(tool.getFirst() + " (Debian package " + tool.get(1) + ") must be installed for the drills with alerting").isZero();
        }
    }

    /**
     * Nothing lost, the fault detected, service recovered, and no page for a fault the balancer
     * absorbed: every expectation but the time objectives (the operator's, this machine's speed) met.
     */
    @Test
    void killingOneOfThreeReplicasBehindHaproxyLosesNothingAndRecovers(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "replica-kill.yaml");
        JsonNode m = r.journal().path("measurements");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.journal().path("deviations")).as("deviations").isEmpty();
        assertThat(m.path("lost_requests").asLong()).isZero();
        assertThat(m.path("requests").asLong()).isGreaterThan(300);
        assertThat(m.path("recovered_at").asText()).isNotBlank();
        // detection by source: the headline is the balancer's (HAProxy's health checks), not the drill's own readiness poll
        assertThat(m.path("detected_by_system").asBoolean()).as(m.toString()).isTrue();
        assertThat(m.path("detected_by").asText()).startsWith("haproxy marked r2 DOWN");
        assertThat(m.path("detection").findValuesAsText("by")).contains("balancer", "readiness");
        JsonNode balancer = m.path("detection").findParents("by").stream().filter(n -> n.path("by").asText().equals("balancer")).findFirst()
                .orElseThrow();
        assertThat(m.path("time_to_detect_s").asDouble()).isEqualTo(balancer.path("after_s").asDouble());
        assertThat(r.report()).contains("## Detection by source", "| balancer | yes | +");
        assertThat(r.journal().path("activities").get(0).path("output").asText()).startsWith("SIGKILL to replica 2");
        assertThat(r.journal().path("activities").findValuesAsText("status")).containsOnly("succeeded");
        assertThat(r.report()).contains("# Drill: Replica kill behind HAProxy", "| RTO |");
        // the real alerting pipeline watched it: no page for a fault the balancer absorbed
        assertThat(r.journal().path("alerts").isArray()).as("the journal has the alerts section").isTrue();
        assertThat(r.journal().path("alerts").findValues("firing_at")).as("alerts: " + r.journal().path("alerts"))
                .allMatch(JsonNode::isNull);
        JsonNode noAlert = expectation(r, "no alert fires");
        assertThat(noAlert.path("measured").asDouble()).as("alerts fired").isZero();
        assertThat(noAlert.path("met").asBoolean()).isTrue();
        assertThat(r.report()).contains("## Alerts");
        // every process the drill started is gone
        assertThat(Files.readString(dir.resolve("work/haproxy.cfg"))).contains("server r3 127.0.0.1:");
        for (String pid : pids(r.err())) {
            assertThat(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
        }
    }

    /** A rolling restart of three replicas at 150 req/s through HAProxy: graceful drain, no retry by the generator, nothing lost. */
    @Test
    void aRollingRestartOfThreeReplicasBehindHaproxyLosesNothing(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "rolling-restart.yaml");
        JsonNode m = r.journal().path("measurements");
        assertThat(m.path("lost_requests").asLong()).as(r.out() + r.err()).isZero();
        assertThat(m.path("requests").asLong()).isGreaterThan(2_000);
        assertThat(r.journal().path("activities").findValuesAsText("output")).filteredOn(o -> o.contains("restarted")).hasSize(3);
        // the replicas kept their serving state in the drill's work directory, not the user's
        assertThat(dir.resolve(".local/state/recops/serving-state.json")).doesNotExist();
        assertThat(dir.resolve("work/replica-1.serving-state.json")).isRegularFile();
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }

    /**
     * A blackholed link: accepted connections, no answer. The balancer detects it by timeouts and
     * re-sends what the link swallowed (retry-on response-timeout): nothing lost.
     */
    @Test
    void aBlackholedReplicaIsDetectedByTimeoutsAndLosesNothing(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "network-blackhole.yaml");
        JsonNode m = r.journal().path("measurements");
        assertThat(m.path("lost_requests").asLong()).as(r.out() + r.err()).isZero();
        assertThat(r.journal().path("activities").get(0).path("output").asText()).contains("link to replica 2: blackhole", "link to replica 2: clean");
        assertThat(r.journal().path("timeline").findValuesAsText("event")).anyMatch(e -> e.contains("haproxy marked r2 DOWN"));
        assertThat(Files.readString(dir.resolve("work/haproxy.cfg"))).doesNotContain("server r2 127.0.0.1:" + replicaPort(r.err(), 2) + " ");
    }

    /** 300 ms each way: the slow replica's health checks time out and the balancer routes around it; nothing lost. */
    @Test
    void aSlowLinkIsRoutedAroundWithoutLoss(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "network-latency.yaml");
        assertThat(r.journal().path("measurements").path("lost_requests").asLong()).as(r.out() + r.err()).isZero();
        assertThat(r.journal().path("timeline").findValuesAsText("event")).anyMatch(e -> e.contains("haproxy marked r2 DOWN"));
    }

    /** The replica's data-plane port, from the drill's progress lines ("replica 2: pid N, port P, admin A"). */
    private static String replicaPort(String err, int replica) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("replica " + replica + ": pid \\d+, port (\\d+)").matcher(err);
        assertThat(m.find()).as(err).isTrue();
        return m.group(1);
    }

    @Test
    void aCorruptedModelVersionIsRejectedByEveryReplicaWithoutImpact(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "corrupted-deploy.yaml");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.journal().path("measurements").path("lost_requests").asLong()).isZero();
        String output = r.journal().path("activities").get(0).path("output").asText();
        assertThat(output).contains("version 99 planted", "rejected by http://127.0.0.1:");
        assertThat(output.split("rejected by").length - 1).isEqualTo(2);
    }

    @Test
    void aDrillWhoseExpectationCannotHoldExitsThreeAndNamesIt(@TempDir Path dir) throws Exception {
        Run r = drill(dir, "replica-kill-single.yaml");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(3);
        assertThat(r.journal().path("status").asText()).isEqualTo("deviated");
        assertThat(r.journal().path("measurements").path("lost_requests").asLong()).isPositive();
        assertThat(r.out()).contains("deviated: Replica kill with no spare", "expect lost_requests==0", "NOT MET");
        assertThat(r.report()).contains("**Deviated**", "expectation lost_requests==0 not met: measured");
        // the people on call are told: the shipped fast-burn page fires, from HAProxy's view (the
        // killed replica exports nothing), no sooner than its for: 2m after the condition held
        JsonNode fast = null;
        for (JsonNode a : r.journal().path("alerts")) {
            if (a.path("alert").asText().equals("RecopsAvailabilityBudgetBurnFast")) {
                fast = a;
            }
        }
        assertThat(fast).as("alerts: " + r.journal().path("alerts")).isNotNull();
        assertThat(fast.path("firing_at").isTextual()).as("fired: " + fast).isTrue();
        assertThat(fast.path("notified_at").isTextual()).as("Alertmanager delivered it to the webhook: " + fast).isTrue();
        assertThat(Duration.between(Instant.parse(fast.path("pending_at").asText()), Instant.parse(fast.path("firing_at").asText())))
                .isGreaterThanOrEqualTo(Duration.ofMinutes(2));
        assertThat(fast.path("time_to_alert_s").asDouble()).isGreaterThanOrEqualTo(120);
        assertThat(r.journal().path("timeline").findValuesAsText("event")).contains("drill: alert RecopsAvailabilityBudgetBurnFast firing");
    }

    private static JsonNode expectation(Run r, String text) {
        for (JsonNode x : r.journal().path("expectations")) {
            if (x.path("expect").asText().equals(text)) {
                return x;
            }
        }
        throw new AssertionError("no expectation " + text + " in " + r.journal().path("expectations"));
    }

    @Test
    void anInvalidExperimentRunsNothingAndExitsTwo(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "title: x\ntarget: {type: local, replicas: 2}\nload: {rate: 10}\n"
                + "steady_state: {probes: [\"errors<=1%\"]}\nmethod:\n  - action: kill_replica\n    replica: 7\n");
        ProcessBuilder pb = new ProcessBuilder(LaunchedServer.DIST.resolve("bin/recops").toString(), "drill", bad.toString())
                .redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out.strip()).isEqualTo("recops: " + bad + ":7: method[0].replica: a replica number in 1..2");
    }

    private static List<String> pids(String log) {
        List<String> pids = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("pid (\\d+)").matcher(log);
        while (m.find()) {
            pids.add(m.group(1));
        }
        return pids;
    }
}
