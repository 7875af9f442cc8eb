package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An operator's change that cannot be saved for the next start is not made and not reported done:
 * a promotion the restart would forget fails (a 500 from the admin API), the primary stays, and a
 * metric counts it.
 */
class ServingStateSaveTest {
    @TempDir
    Path dir;

    @Test
    void aPromotionThatCannotBeSavedFailsAndChangesNothing() throws Exception {
        Path repo = FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1", "2");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "", TestData.esciProducts(), Optional.empty(), 1, 1,
                OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        Path notADirectory = Files.writeString(dir.resolve("a-file"), "");
        ServiceSetup setup = ServiceSetup.DEFAULT.withStateFile(notADirectory.resolve("serving-state.json")); // its directory cannot be made
        try (SearchService service = new SearchService(options, setup, metrics, ServeListener.NONE, FakeEncoder.factory(new FakeEncoder.Gate()))) {
            service.load();
            dev.recops.engine.Await.until("both versions loaded", () -> service.traffic() != null && service.serving()
                    .map(s -> s.versions().size() == 2).orElse(false));
            String primary = service.primaryVersion();
            String other = primary.equals("2") ? "1" : "2";
            assertThatThrownBy(() -> service.promote(other)).isInstanceOfSatisfying(RecopsException.Failure.class, e -> {
                assertThat(e.code()).isEqualTo("state_not_saved");
                assertThat(e.getMessage()).contains("nothing was changed");
            });
            assertThat(service.primaryVersion()).as("not promoted").isEqualTo(primary);
            assertThat(ServeServer.status(new RecopsException.Failure("state_not_saved", "x", null))).isEqualTo(500);
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            metrics.write("text/plain", text);
            assertThat(text.toString()).containsPattern("recops_serving_state_save_failures_total [1-9]");
        }
    }
}
