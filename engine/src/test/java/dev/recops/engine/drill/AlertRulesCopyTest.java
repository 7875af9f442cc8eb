package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The drill's copy of the shipped alerting rules: every group evaluated each second, every rule as shipped. */
class AlertRulesCopyTest {
    private static final Path SHIPPED = Path.of("..", "deploy", "prometheus", "recops-rules.yml");

    @Test
    void everyGroupIsEvaluatedEverySecondAndNoRuleChanges() throws Exception {
        YAMLMapper yaml = new YAMLMapper();
        JsonNode shipped = yaml.readTree(SHIPPED.toFile());
        JsonNode copy = yaml.readTree(AlertPipeline.everyGroupEvery(SHIPPED, Duration.ofSeconds(1)));
        assertThat(copy.path("groups")).hasSameSizeAs(shipped.path("groups")).isNotEmpty();
        for (int i = 0; i < shipped.path("groups").size(); i++) {
            assertThat(copy.path("groups").get(i).path("interval").asText()).isEqualTo("1s");
            assertThat(copy.path("groups").get(i).path("rules")).isEqualTo(shipped.path("groups").get(i).path("rules"));
        }
    }

    @Test
    void aFileThatIsNotRulesIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        Path notYaml = Files.writeString(dir.resolve("a.yml"), "groups: [\n  - name: x\n");
        assertThatThrownBy(() -> AlertPipeline.everyGroupEvery(notYaml, Duration.ofSeconds(1)))
                .isInstanceOf(RecopsException.InvalidInput.class).hasMessageContaining("are not YAML").hasMessageNotContaining("\n");
        Path noGroups = Files.writeString(dir.resolve("b.yml"), "scrape_configs: []\n");
        assertThatThrownBy(() -> AlertPipeline.everyGroupEvery(noGroups, Duration.ofSeconds(1)))
                .isInstanceOf(RecopsException.InvalidInput.class).hasMessageContaining("no groups");
    }
}
