package dev.recops.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus rules in deploy/ are valid and their unit tests pass under promtool (Debian
 * package prometheus; scripts/test installs it, and a skip is listed in its summary).
 */
class RulesAndDashboardTest {
    private static final Path DEPLOY = Path.of(System.getProperty("recops.deploy"));

    private static Path promtool() {
        Optional<Path> found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
        if (found.isEmpty()) {
            Assumptions.abort("promtool is not installed (Debian package prometheus; scripts/test installs it)");
        }
        return found.get();
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(DEPLOY.resolve("prometheus").toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s:%n%s", command, output).isZero();
        return output;
    }

    @Test
    void rulesAreValid() throws Exception {
        assertThat(run(List.of(promtool().toString(), "check", "rules", "recops-rules.yml"))).contains("SUCCESS");
    }

    @Test
    void ruleUnitTestsPass() throws Exception {
        assertThat(run(List.of(promtool().toString(), "test", "rules", "tests/recops-rules-test.yml"))).contains("SUCCESS");
    }

    @Test
    void dashboardIsAGrafanaDashboardWithQueriesInEveryPanel() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("grafana/recops-serve.json").toFile());
        assertThat(dashboard.get("uid").asText()).isEqualTo("recops-serve");
        assertThat(dashboard.get("panels")).isNotEmpty().allSatisfy(panel -> {
            assertThat(panel.get("targets")).isNotEmpty();
            panel.get("targets").forEach(t -> assertThat(t.get("expr").asText()).isNotBlank());
        });
    }
}
