package dev.recops.engine.model;

import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRepositoryTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultRepositoryHasTwoVerifiedEncoderVersions() {
        ModelRepository.Scan scan = new ModelRepository(TestData.models()).scan();
        assertThat(scan.rejected()).isEmpty();
        assertThat(scan.versionsOf("search-encoder")).extracting(ModelVersion::version).containsExactly("1", "2");
        ModelVersion v1 = scan.versionsOf("search-encoder").getFirst();
        assertThat(v1.manifest().pooling()).isEqualTo(Pooling.MEAN);
        assertThat(v1.manifest().dimension()).isEqualTo(384);
        assertThat(scan.versionsOf("search-encoder").get(1).manifest().pooling()).isEqualTo(Pooling.CLS);
        scan.versions().forEach(ModelVersion::verifyChecksums);
    }

    @Test
    void versionsSortNumerically() {
        assertThat(java.util.stream.Stream.of("10", "2", "1", "beta").sorted(ModelRepository.VERSION_ORDER))
                .containsExactly("1", "2", "10", "beta");
    }

    @Test
    void aVersionWithAnInvalidManifestIsRejectedWithTheReasonAndTheOthersStay() throws IOException {
        Path good = copyVersion("1");
        Path bad = dir.resolve("search-encoder/7");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("model.json"), "{\"task\": \"text-embedding\", \"pooling\": \"max\"}");
        ModelRepository.Scan scan = new ModelRepository(dir).scan();
        assertThat(scan.versions()).extracting(ModelVersion::dir).containsExactly(good);
        assertThat(scan.rejected()).singleElement().satisfies(r -> {
            assertThat(r.dir()).isEqualTo(bad);
            assertThat(r.reason()).contains("search-encoder/7/model.json");
        });
    }

    @Test
    void aManifestThatIsNotJsonNamesTheFile() throws IOException {
        Path v = dir.resolve("m/1");
        Files.createDirectories(v);
        Files.writeString(v.resolve("model.json"), "{ not json");
        assertThat(new ModelRepository(dir).scan().rejected().getFirst().reason())
                .contains("m/1/model.json").contains("not valid JSON");
    }

    @Test
    void aChecksumMismatchNamesTheFile() throws IOException {
        Path v = copyVersion("1");
        Files.writeString(v.resolve("tokenizer.json"), "{}", java.nio.file.StandardOpenOption.APPEND);
        ModelVersion version = new ModelRepository(dir).scan().versions().getFirst();
        assertThatThrownBy(version::verifyChecksums)
                .isInstanceOf(RecopsException.VerificationFailed.class)
                .hasMessageContaining("checksum mismatch for " + v.resolve("tokenizer.json"));
        assertThatThrownBy(() -> TextEncoder.load(version, 1)).isInstanceOf(RecopsException.VerificationFailed.class);
    }

    @Test
    void aMissingModelFileIsAPreconditionFailure() throws IOException {
        Path v = copyVersion("1");
        Files.delete(v.resolve("model.onnx"));
        ModelVersion version = new ModelRepository(dir).scan().versions().getFirst();
        assertThatThrownBy(version::verifyChecksums)
                .isInstanceOf(RecopsException.PreconditionFailed.class)
                .hasMessageContaining("model.onnx not found");
    }

    @Test
    void aMissingRepositoryIsAPreconditionFailure() {
        assertThatThrownBy(() -> new ModelRepository(dir.resolve("none")).scan())
                .isInstanceOf(RecopsException.PreconditionFailed.class)
                .hasMessageContaining("--model-repo");
    }

    /** Copies a default version; the model is a symlink to keep the test light. */
    private Path copyVersion(String version) throws IOException {
        Path from = TestData.models().resolve("search-encoder").resolve(version);
        Path to = dir.resolve("search-encoder").resolve(version);
        Files.createDirectories(to);
        Files.copy(from.resolve("model.json"), to.resolve("model.json"));
        Files.copy(from.resolve("tokenizer.json"), to.resolve("tokenizer.json"));
        Files.createSymbolicLink(to.resolve("model.onnx"), from.resolve("model.onnx").toAbsolutePath());
        return to;
    }
}
