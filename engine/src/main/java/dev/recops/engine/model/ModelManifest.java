package dev.recops.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A version's {@code model.json}: what the model is and how to serve it. Validated on parse; an
 * invalid manifest is an {@link RecopsException.InvalidInput} naming the file and the field.
 *
 * @param task {@code text-embedding} (the only task served so far)
 * @param inputs the ONNX graph inputs, in order
 * @param outputs the ONNX graph outputs used
 * @param pooling how token vectors are pooled
 * @param normalize whether vectors are L2-normalised
 * @param dimension the embedding dimension, 1..65536
 * @param maxTokens the truncation length in tokens (special tokens included), 2..8192
 * @param sha256 lower-case hex SHA-256 of every file of the version, by file name
 * @param licence the SPDX licence of the model weights
 * @param serving serving hints from the model's owner
 * @param queryPrefix put before every search query before it is embedded (e5: {@code "query: "}); may be empty
 * @param documentPrefix put before every product's text before it is embedded (e5: {@code "passage: "}); may be empty
 */
public record ModelManifest(
        String task,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        Pooling pooling,
        boolean normalize,
        int dimension,
        int maxTokens,
        Map<String, String> sha256,
        String licence,
        ServingHints serving,
        String queryPrefix,
        String documentPrefix) {

    public static final String FILE_NAME = "model.json";
    public static final String TEXT_EMBEDDING = "text-embedding";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelManifest {
        Objects.requireNonNull(task, "task");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        Objects.requireNonNull(pooling, "pooling");
        // Sorted, so anything derived from it (cache keys, listings) is the same on every run.
        sha256 = Collections.unmodifiableSortedMap(new TreeMap<>(sha256));
        Objects.requireNonNull(licence, "licence");
        Objects.requireNonNull(serving, "serving");
        Objects.requireNonNull(queryPrefix, "queryPrefix");
        Objects.requireNonNull(documentPrefix, "documentPrefix");
    }

    /**
     * Hints for the server: the model owner's suggested batch size, batching delay and intra-op
     * thread count. Command-line options override them.
     */
    public record ServingHints(int batchMax, int batchDelayMillis, int threads) {
        static final ServingHints DEFAULT = new ServingHints(16, 2, 1);
    }

    /** Reads and validates {@code dir/model.json}. */
    public static ModelManifest read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("manifest_missing", "manifest " + file + " not found");
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new RecopsException.PreconditionFailed("manifest_missing", "manifest " + file + " not found");
            }
            throw new RecopsException.InvalidInput(
                    "invalid_manifest", "manifest " + file + " is not valid JSON: " + firstLine(e.getMessage()), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new RecopsException.InvalidInput("invalid_manifest", "manifest " + file + ": " + e.getMessage(), e);
        }
    }

    static ModelManifest fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the top level must be a JSON object");
        }
        String task = text(root, "task");
        if (!TEXT_EMBEDDING.equals(task)) {
            throw new IllegalArgumentException("task \"" + task + "\" is not supported (supported: text-embedding)");
        }
        List<TensorSpec> inputs = tensors(root, "inputs");
        List<TensorSpec> outputs = tensors(root, "outputs");
        Pooling pooling = Pooling.parse(text(root, "pooling"));
        boolean normalize = root.path("normalize").asBoolean(true);
        int dimension = intIn(root, "dimension", 1, 65_536);
        int maxTokens = intIn(root, "max_tokens", 2, 8_192);
        Map<String, String> sha256 = checksums(root);
        String licence = text(root, "licence");
        ServingHints serving = ServingHints.DEFAULT;
        JsonNode hints = root.get("serving");
        if (hints != null) {
            serving = new ServingHints(
                    intIn(hints, "batch_max", 1, 1024),
                    intIn(hints, "batch_delay_ms", 0, 1000),
                    intIn(hints, "threads", 1, 256));
        }
        return new ModelManifest(task, inputs, outputs, pooling, normalize, dimension, maxTokens, sha256, licence, serving,
                prefix(root, "query_prefix"), prefix(root, "document_prefix"));
    }

    /** An optional instruction prefix: a string of at most 64 characters, no control characters. */
    private static String prefix(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual() || n.asText().length() > 64 || n.asText().chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string of at most 64 characters without control characters");
        }
        return n.asText();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a non-empty string");
        }
        return value.asText();
    }

    private static int intIn(JsonNode node, String field, int min, int max) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an integer");
        }
        int n = value.asInt();
        if (n < min || n > max) {
            throw new IllegalArgumentException("\"" + field + "\" must be in " + min + ".." + max + ", not " + n);
        }
        return n;
    }

    private static List<TensorSpec> tensors(JsonNode root, String field) {
        JsonNode array = root.get(field);
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a non-empty array");
        }
        List<TensorSpec> specs = new ArrayList<>();
        for (JsonNode t : array) {
            List<Long> shape = new ArrayList<>();
            JsonNode dims = t.get("shape");
            if (dims == null || !dims.isArray()) {
                throw new IllegalArgumentException("every entry of \"" + field + "\" needs a \"shape\" array");
            }
            dims.forEach(d -> shape.add(d.asLong()));
            specs.add(new TensorSpec(text(t, "name"), text(t, "dtype"), shape));
        }
        return specs;
    }

    private static Map<String, String> checksums(JsonNode root) {
        JsonNode node = root.get("sha256");
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("\"sha256\" must be an object of file name to checksum");
        }
        Map<String, String> sums = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String hex = e.getValue().asText();
            if (!SHA256_HEX.matcher(hex).matches()) {
                throw new IllegalArgumentException("sha256 of " + e.getKey() + " must be 64 lower-case hex digits");
            }
            if (e.getKey().contains("/") || e.getKey().contains("\\") || e.getKey().startsWith(".")) {
                throw new IllegalArgumentException("sha256 names a file outside the version directory: " + e.getKey());
            }
            sums.put(e.getKey(), hex);
        }
        for (String required : List.of(ModelVersion.MODEL_FILE, ModelVersion.TOKENIZER_FILE)) {
            if (!sums.containsKey(required)) {
                throw new IllegalArgumentException("\"sha256\" has no entry for " + required);
            }
        }
        return sums;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
