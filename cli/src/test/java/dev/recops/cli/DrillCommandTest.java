package dev.recops.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The drill command's checks before anything runs; the drills themselves run in DrillIT against the distribution. */
@Tag("command")
class DrillCommandTest {
    static final Path DRILLS = Path.of("../scripts/drills");

    @Test
    void dryRunPrintsThePlanAndStartsNothing() {
        CommandResult r = CommandResult.run("drill", DRILLS.resolve("replica-kill.yaml").toString(), "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("valid; the plan:", "start 3 recops serve replicas", "method: kill_replica replica=2  (replica-kill.yaml:22)",
                "rollback: restart_replica replica=2", "expect rto<=2s", "stop HAProxy and the replicas");
    }

    @Test
    void compareShowsTheChangeBetweenTwoJournalsAndRefusesWhatIsNotOne(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), """
                {"experiment": {"title": "kill"}, "status": "held",
                 "measurements": {"rto_s": 1.2, "lost_requests": 0, "requests": 400}, "expectations": [{"expect": "rto<=2s", "measured": 1.2, "met": true}]}
                """);
        Path b = Files.writeString(dir.resolve("b.json"), """
                {"experiment": {"title": "kill"}, "status": "deviated",
                 "measurements": {"rto_s": 3.5, "lost_requests": 7, "requests": 400}, "expectations": [{"expect": "rto<=2s", "measured": 3.5, "met": false}]}
                """);
        CommandResult r = CommandResult.run("drill", "compare", a.toString(), b.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().lines()).anyMatch(l -> l.startsWith("RTO") && l.contains("1.2 s") && l.contains("3.5 s") && l.endsWith("+2.3 s !"))
                .anyMatch(l -> l.startsWith("expect rto<=2s") && l.contains("met (1.2)") && l.contains("NOT MET (3.5)"));
        CommandResult json = CommandResult.run("drill", "compare", a.toString(), b.toString(), "--format", "json");
        assertThat(json.out()).contains("\"measure\" : \"lost requests\"", "\"worse\" : true");

        CommandResult notJournal = CommandResult.run("drill", "compare", a.toString(), Files.writeString(dir.resolve("c.json"), "{}").toString());
        assertThat(notJournal.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(notJournal.err().lines()).singleElement().asString().contains("c.json is not a drill journal");
        assertThat(CommandResult.run("drill").err()).contains("Missing required parameter: 'EXPERIMENT'");
    }

    @Test
    void badExperimentsAndUnconfirmedFaultsOnSomeoneElsesDeploymentAreRefused(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "title: x\ntarget: {type: local}\nload: {rate: -1}\n");
        CommandResult invalid = CommandResult.run("drill", bad.toString());
        assertThat(invalid.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(invalid.err().strip()).isEqualTo("recops: " + bad + ":3: load.rate: a number in 0.1..100000");

        CommandResult missing = CommandResult.run("drill", dir.resolve("none.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.PRECONDITION);

        Path url = Files.writeString(dir.resolve("url.yaml"), """
                title: errors on a shared deployment
                target: {type: url, url: "http://127.0.0.1:9", admin: ["http://127.0.0.1:9"]}
                load: {rate: 5}
                steady_state: {probes: ["errors<=1%"]}
                method:
                  - {action: inject_fault, error_rate: 0.5, for: 5s}
                """);
        CommandResult unconfirmed = CommandResult.run("drill", url.toString());
        assertThat(unconfirmed.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unconfirmed.err()).contains("add --yes to go ahead");
    }
}
