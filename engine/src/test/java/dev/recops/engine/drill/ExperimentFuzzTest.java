package dev.recops.engine.drill;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Tag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzing experiment files (YAML or JSON): each is either a checked experiment or refused with
 * {@link RecopsException.InvalidInput} (exit 2, one line naming field and line); nothing else.
 */
@Tag("fuzz")
class ExperimentFuzzTest {
    private static final Path DIR = tempDir();

    @FuzzTest(maxDuration = "15s")
    void everyFileIsAnExperimentOrAnExit2(FuzzedDataProvider data) throws IOException {
        Path file = DIR.resolve(data.consumeBoolean() ? "drill.json" : "drill.yaml");
        Files.write(file, data.consumeRemainingAsBytes());
        try {
            Experiment e = Experiment.read(file);
            DrillPlan.of(e);
        } catch (RecopsException.InvalidInput refused) {
            if (refused.getMessage() == null || refused.getMessage().contains("\n")) {
                throw new AssertionError("an error that is not one line: " + refused.getMessage());
            }
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("recops-fuzz-experiment");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
