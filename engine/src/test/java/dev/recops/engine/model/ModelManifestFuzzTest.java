package dev.recops.engine.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Tag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzing {@code model.json}: each manifest is valid (dimension and token limits in range, a
 * checksum for the model and the tokenizer) or refused with {@link RecopsException.InvalidInput}.
 */
@Tag("fuzz")
class ModelManifestFuzzTest {
    private static final Path DIR = tempDir();

    @FuzzTest(maxDuration = "15s")
    void everyManifestIsValidOrAnExit2(byte[] json) throws IOException {
        Files.write(DIR.resolve(ModelManifest.FILE_NAME), json);
        try {
            ModelManifest m = ModelManifest.read(DIR);
            if (m.dimension() < 1 || !m.sha256().containsKey(ModelVersion.MODEL_FILE) || !m.sha256().containsKey(ModelVersion.TOKENIZER_FILE)) {
                throw new AssertionError("accepted an invalid manifest: " + m);
            }
        } catch (RecopsException.InvalidInput refused) {
            // exit 2 from model verify; the version is rejected when serving
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("recops-fuzz-manifest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
