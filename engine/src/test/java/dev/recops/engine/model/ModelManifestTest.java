package dev.recops.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelManifestTest {
    private final ObjectMapper json = new ObjectMapper();

    private ObjectNode shipped() throws IOException {
        return (ObjectNode) json.readTree(TestData.models().resolve("search-encoder/1/model.json").toFile());
    }

    @Test
    void parsesTheShippedManifest() throws IOException {
        ModelManifest m = ModelManifest.fromJson(shipped());
        assertThat(m.inputs()).extracting(TensorSpec::name).containsExactly("input_ids", "attention_mask", "token_type_ids");
        assertThat(m.outputs().getFirst().shape()).containsExactly(-1L, -1L, 384L);
        assertThat(m.maxTokens()).isEqualTo(256);
        assertThat(m.sha256()).containsOnlyKeys("model.onnx", "tokenizer.json");
        assertThat(m.serving().batchMax()).isEqualTo(16);
    }

    @Test
    void rejectsAnUnknownTask() throws IOException {
        ObjectNode node = shipped().put("task", "image-classification");
        assertThatThrownBy(() -> ModelManifest.fromJson(node)).hasMessageContaining("task \"image-classification\"");
    }

    @Test
    void rejectsADimensionOutOfRange() throws IOException {
        ObjectNode node = shipped().put("dimension", 0);
        assertThatThrownBy(() -> ModelManifest.fromJson(node)).hasMessageContaining("\"dimension\" must be in");
    }

    @Test
    void rejectsAMalformedChecksum() throws IOException {
        ObjectNode node = shipped();
        ((ObjectNode) node.get("sha256")).put("model.onnx", "abc");
        assertThatThrownBy(() -> ModelManifest.fromJson(node)).hasMessageContaining("64 lower-case hex");
    }

    @Test
    void rejectsAChecksumForAFileOutsideTheVersionDirectory() throws IOException {
        ObjectNode node = shipped();
        ((ObjectNode) node.get("sha256")).put("../other/model.onnx", "a".repeat(64));
        assertThatThrownBy(() -> ModelManifest.fromJson(node)).hasMessageContaining("outside the version directory");
    }

    @Test
    void requiresChecksumsOfTheModelAndTokenizer() throws IOException {
        ObjectNode node = shipped();
        ((ObjectNode) node.get("sha256")).remove("tokenizer.json");
        assertThatThrownBy(() -> ModelManifest.fromJson(node)).hasMessageContaining("no entry for tokenizer.json");
    }
}
