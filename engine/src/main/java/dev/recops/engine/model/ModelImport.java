package dev.recops.engine.model;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Creates a model version from a user's own sentence-embedding ONNX export: reads the graph's
 * inputs and outputs from ONNX Runtime, decides pooling, normalisation, dimension and token
 * limit from what the files say (flags override), writes {@code model.json} with every file's
 * SHA-256, verifies the version as {@code recops model verify} does (checksums, graph signature,
 * warm-up), and only then moves it into the repository: nothing half-written is ever left there.
 *
 * <p>The source is an ONNX file and its {@code tokenizer.json}, or a directory as Hugging Face
 * exporters write it ({@code model.onnx} or {@code onnx/model.onnx}, {@code tokenizer.json},
 * {@code config.json}, sentence-transformers' {@code 1_Pooling/config.json} and
 * {@code modules.json}).
 */
public final class ModelImport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TEXT_INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");
    /** Token-level outputs, in the order they are preferred. */
    private static final List<String> TOKEN_OUTPUTS = List.of("last_hidden_state", "token_embeddings");

    /**
     * @param source an ONNX file, or a directory holding one
     * @param tokenizer the tokenizer.json, when the source is a file; found beside it otherwise
     * @param repository the model repository
     * @param name the model's name in the repository
     * @param version the version to create; empty for the next free number
     * @param pooling overrides what the files say
     * @param normalize overrides what the files say
     * @param maxTokens overrides what the files say
     * @param queryPrefix put before every query (e5: "query: "); may be empty
     * @param documentPrefix put before every product text (e5: "passage: "); may be empty
     * @param licence the SPDX licence of the weights, recorded in the manifest
     */
    public record Request(Path source, Optional<Path> tokenizer, Path repository, String name, Optional<String> version,
                          Optional<Pooling> pooling, Optional<Boolean> normalize, OptionalInt maxTokens, String queryPrefix,
                          String documentPrefix, String licence) {}

    /**
     * @param version the version created
     * @param decisions what was decided and from where ("pooling: cls (1_Pooling/config.json)"), in order
     */
    public record Result(ModelVersion version, List<String> decisions) {}

    private ModelImport() {}

    /**
     * @throws RecopsException.InvalidInput for a source that cannot become a version (not ONNX, no
     *     tokenizer, inputs or outputs it cannot serve, a version that exists, a bad name)
     * @throws RecopsException.PreconditionFailed when the source is missing
     * @throws RecopsException.VerificationFailed when the version written does not verify
     */
    public static Result run(Request r) {
        checkName("model name", r.name());
        r.version().ifPresent(v -> checkName("version", v));
        Path onnx = findModel(r.source());
        Path tokenizer = r.tokenizer().orElseGet(() -> beside(onnx, r.source(), "tokenizer.json"));
        if (!Files.isRegularFile(tokenizer)) {
            throw new RecopsException.InvalidInput("no_tokenizer", "no tokenizer.json " + (r.tokenizer().isPresent() ? "at " + tokenizer
                    : "beside " + onnx + " (give it as the second argument)"));
        }
        Path home = Files.isDirectory(r.source()) ? r.source() : onnx.getParent();
        List<String> decisions = new ArrayList<>();
        Graph graph = Graph.read(onnx, tokenizer);
        decisions.add("inputs: " + String.join(", ", graph.inputs()) + " (from the ONNX graph)");
        decisions.add("output: " + graph.output() + " " + graph.outputShape() + " (token vectors, pooled by recops)");
        Pooling pooling = r.pooling().map(p -> decided(decisions, "pooling", p.name().toLowerCase(Locale.ROOT), "--pooling", p))
                .orElseGet(() -> pooling(home, decisions));
        boolean normalize = r.normalize().map(n -> decided(decisions, "normalize", n.toString(), "--normalize", n))
                .orElseGet(() -> normalize(home, decisions));
        int maxTokens = r.maxTokens().isPresent()
                ? decided(decisions, "max tokens", Integer.toString(r.maxTokens().getAsInt()), "--max-tokens", r.maxTokens().getAsInt())
                : maxTokens(home, tokenizer, decisions);
        decisions.add("dimension: " + graph.dimension() + " (a test inference)");
        if (!r.queryPrefix().isEmpty() || !r.documentPrefix().isEmpty()) {
            decisions.add("prefixes: query \"" + r.queryPrefix() + "\", document \"" + r.documentPrefix() + "\"");
        }
        Path modelDir = r.repository().resolve(r.name());
        String version = r.version().orElseGet(() -> nextVersion(modelDir));
        Path target = modelDir.resolve(version);
        if (Files.exists(target)) {
            throw new RecopsException.InvalidInput("version_exists", "version " + version + " of " + r.name() + " exists already in "
                    + r.repository() + " (choose another --model-version, or let import take the next)");
        }
        Path staging = stage(r, onnx, tokenizer, graph, pooling, normalize, maxTokens, modelDir);
        try {
            ModelVersion staged = new ModelVersion(r.name(), version, staging, ModelManifest.read(staging));
            try (TextEncoder encoder = TextEncoder.load(staged, 1)) { // what model verify checks: checksums, graph, warm-up
                decisions.add("verified: checksums, graph inputs and outputs, a warm-up of " + encoder.dimension() + "-d vectors");
            }
            move(staging, target);
        } finally {
            deleteQuietly(staging);
        }
        return new Result(new ModelVersion(r.name(), version, target, ModelManifest.read(target)), List.copyOf(decisions));
    }

    private static <T> T decided(List<String> decisions, String what, String value, String from, T result) {
        decisions.add(what + ": " + value + " (" + from + ")");
        return result;
    }

    private static void checkName(String what, String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new RecopsException.InvalidInput("bad_name", "the " + what + " must be a plain name (letters, digits, '.', '_', '-'), not "
                    + name);
        }
    }

    /** The ONNX file: the source itself, or model.onnx / onnx/model.onnx in a directory. */
    private static Path findModel(Path source) {
        if (!Files.exists(source)) {
            throw new RecopsException.PreconditionFailed("source_missing", source + " not found");
        }
        if (Files.isRegularFile(source)) {
            return source;
        }
        for (String candidate : List.of("model.onnx", "onnx/model.onnx")) {
            if (Files.isRegularFile(source.resolve(candidate))) {
                return source.resolve(candidate);
            }
        }
        throw new RecopsException.InvalidInput("no_model", source + " has no model.onnx nor onnx/model.onnx");
    }

    /** A file of the export: in the source directory, or beside the ONNX file. */
    private static Path beside(Path onnx, Path source, String name) {
        return Files.isDirectory(source) ? source.resolve(name) : onnx.resolveSibling(name);
    }

    private static Optional<JsonNode> json(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new RecopsException.InvalidInput("bad_export_file", file + " is not valid JSON");
        }
    }

    /** sentence-transformers' 1_Pooling/config.json says; mean otherwise, as sentence-transformers does. */
    private static Pooling pooling(Path home, List<String> decisions) {
        Optional<JsonNode> config = json(home.resolve("1_Pooling/config.json"));
        if (config.isPresent()) {
            if (config.get().path("pooling_mode_cls_token").asBoolean(false)) {
                return decided(decisions, "pooling", "cls", "1_Pooling/config.json", Pooling.CLS);
            }
            if (config.get().path("pooling_mode_mean_tokens").asBoolean(false)) {
                return decided(decisions, "pooling", "mean", "1_Pooling/config.json", Pooling.MEAN);
            }
            throw new RecopsException.InvalidInput("unsupported_pooling", home.resolve("1_Pooling/config.json")
                    + " asks for a pooling recops does not do (it does mean and cls; --pooling to override)");
        }
        return decided(decisions, "pooling", "mean", "no 1_Pooling/config.json: the sentence-transformers default; --pooling cls for BGE-style models",
                Pooling.MEAN);
    }

    /** modules.json lists a Normalize module, or not; without modules.json, normalised (cosine search expects it). */
    private static boolean normalize(Path home, List<String> decisions) {
        Optional<JsonNode> modules = json(home.resolve("modules.json"));
        if (modules.isPresent()) {
            boolean found = false;
            for (JsonNode m : modules.get()) {
                found |= m.path("type").asText("").endsWith(".Normalize");
            }
            return decided(decisions, "normalize", Boolean.toString(found), "modules.json", found);
        }
        return decided(decisions, "normalize", "true", "no modules.json: vectors are compared by cosine", true);
    }

    /** The tokenizer's truncation, sentence-transformers' max_seq_length, the model's positions; else 512. */
    private static int maxTokens(Path home, Path tokenizer, List<String> decisions) {
        int fromTokenizer = json(tokenizer).map(t -> t.path("truncation").path("max_length").asInt(0)).orElse(0);
        if (fromTokenizer > 1) {
            return decided(decisions, "max tokens", Integer.toString(fromTokenizer), "tokenizer.json truncation", Math.min(fromTokenizer, 8_192));
        }
        int fromSbert = json(home.resolve("sentence_bert_config.json")).map(c -> c.path("max_seq_length").asInt(0)).orElse(0);
        if (fromSbert > 1) {
            return decided(decisions, "max tokens", Integer.toString(fromSbert), "sentence_bert_config.json", Math.min(fromSbert, 8_192));
        }
        int fromConfig = json(home.resolve("config.json")).map(c -> c.path("max_position_embeddings").asInt(0)).orElse(0);
        if (fromConfig > 1) {
            return decided(decisions, "max tokens", Integer.toString(fromConfig), "config.json max_position_embeddings", Math.min(fromConfig, 8_192));
        }
        return decided(decisions, "max tokens", "512", "nothing said; --max-tokens to change", 512);
    }

    /** The next free whole-number version: one past the highest, or 1. */
    static String nextVersion(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            return "1";
        }
        try (Stream<Path> versions = Files.list(modelDir)) {
            return Long.toString(1 + versions.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{1,9}"))
                    .mapToLong(Long::parseLong).max().orElse(0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the version into a hidden directory beside its final place (same file system: the move is atomic). */
    private static Path stage(Request r, Path onnx, Path tokenizer, Graph graph, Pooling pooling, boolean normalize, int maxTokens,
            Path modelDir) {
        try {
            Files.createDirectories(modelDir);
            Path staging = Files.createTempDirectory(modelDir, ".import-");
            Files.copy(onnx, staging.resolve(ModelVersion.MODEL_FILE));
            Files.copy(tokenizer, staging.resolve(ModelVersion.TOKENIZER_FILE));
            ObjectNode m = JSON.createObjectNode().put("task", ModelManifest.TEXT_EMBEDDING)
                    .put("description", "imported by recops model import from " + r.source().toAbsolutePath());
            ArrayNode inputs = m.putArray("inputs");
            graph.inputs().forEach(i -> inputs.addObject().put("name", i).put("dtype", "INT64").set("shape", JSON.valueToTree(List.of(-1, -1))));
            m.putArray("outputs").addObject().put("name", graph.output()).put("dtype", "FP32")
                    .set("shape", JSON.valueToTree(List.of(-1, -1, graph.dimension())));
            m.put("pooling", pooling.name().toLowerCase(Locale.ROOT)).put("normalize", normalize).put("dimension", graph.dimension())
                    .put("max_tokens", maxTokens);
            if (!r.queryPrefix().isEmpty()) {
                m.put("query_prefix", r.queryPrefix());
            }
            if (!r.documentPrefix().isEmpty()) {
                m.put("document_prefix", r.documentPrefix());
            }
            m.putObject("sha256").put(ModelVersion.MODEL_FILE, ModelVersion.sha256(staging.resolve(ModelVersion.MODEL_FILE)))
                    .put(ModelVersion.TOKENIZER_FILE, ModelVersion.sha256(staging.resolve(ModelVersion.TOKENIZER_FILE)));
            m.putObject("source").put("imported", Instant.now().toString())
                    .putObject("files").put(ModelVersion.MODEL_FILE, onnx.toAbsolutePath().toString())
                    .put(ModelVersion.TOKENIZER_FILE, tokenizer.toAbsolutePath().toString());
            m.put("licence", r.licence());
            m.putObject("serving").put("batch_max", 16).put("batch_delay_ms", 2).put("threads", 1);
            JSON.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(ModelManifest.FILE_NAME).toFile(), m);
            return staging;
        } catch (IOException e) {
            throw new RecopsException.Failure("import_failed", "cannot write into " + modelDir + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path staging, Path target) {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new RecopsException.Failure("import_failed", "cannot move the version into place atomically: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new RecopsException.Failure("import_failed", "cannot move the version to " + target + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a staging directory left behind is hidden (.import-*) and never loaded
        }
    }

    /**
     * What the ONNX graph takes and gives, read through ONNX Runtime, and the embedding dimension
     * from one test inference (an export often leaves the hidden size symbolic).
     */
    record Graph(List<String> inputs, String output, String outputShape, int dimension) {
        static Graph read(Path onnx, Path tokenizer) {
            // DJL's engine creates the process's one ONNX Runtime environment with its own thread
            // settings and fails if another was created first: start it, then share its environment.
            Engine.getEngine("OnnxRuntime");
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                 OrtSession session = env.createSession(onnx.toString(), options)) {
                Map<String, NodeInfo> in = session.getInputInfo();
                List<String> inputs = new ArrayList<>(in.keySet());
                for (Map.Entry<String, NodeInfo> e : in.entrySet()) {
                    if (!TEXT_INPUTS.contains(e.getKey()) || !(e.getValue().getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.INT64) {
                        throw new RecopsException.InvalidInput("unsupported_inputs", onnx + ": input " + e.getKey() + " ("
                                + describe(e.getValue().getInfo()) + ") is not one a text encoder takes (int64 input_ids, attention_mask, token_type_ids)");
                    }
                }
                if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
                    throw new RecopsException.InvalidInput("unsupported_inputs", onnx + " takes " + inputs + ", not input_ids and attention_mask");
                }
                String output = tokenOutput(onnx, session.getOutputInfo());
                int dimension = testDimension(session, inputs, output, tokenizer);
                return new Graph(inputs, output, describe(session.getOutputInfo().get(output).getInfo()), dimension);
            } catch (OrtException e) {
                throw new RecopsException.InvalidInput("not_onnx", onnx + " is not an ONNX model ONNX Runtime can load: "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }

        /** A tensor as a person reads it, "float [?, ?, 384]" (? for a dimension the graph leaves open), not ONNX Runtime's toString. */
        static String describe(ai.onnxruntime.ValueInfo info) {
            if (!(info instanceof TensorInfo t)) {
                return info instanceof ai.onnxruntime.SequenceInfo ? "a sequence" : info instanceof ai.onnxruntime.MapInfo ? "a map" : "not a tensor";
            }
            return t.type.name().toLowerCase(Locale.ROOT) + " " + Arrays.stream(t.getShape())
                    .mapToObj(d -> d < 0 ? "?" : Long.toString(d)).collect(Collectors.joining(", ", "[", "]"));
        }

        /** The token-level (rank 3, float) output; an already pooled or other output cannot be pooled here. */
        private static String tokenOutput(Path onnx, Map<String, NodeInfo> outputs) {
            Map<String, NodeInfo> rank3 = new LinkedHashMap<>();
            outputs.forEach((name, info) -> {
                if (info.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT && t.getShape().length == 3) {
                    rank3.put(name, info);
                }
            });
            for (String preferred : TOKEN_OUTPUTS) {
                if (rank3.containsKey(preferred)) {
                    return preferred;
                }
            }
            if (rank3.isEmpty()) {
                throw new RecopsException.InvalidInput("unpoolable_outputs", onnx + " has no token-level output (float, [batch, tokens, "
                        + "dimension]) to pool; its outputs: " + outputs.keySet());
            }
            return rank3.keySet().iterator().next();
        }

        private static int testDimension(OrtSession session, List<String> inputs, String output, Path tokenizer) throws OrtException {
            long[] ids;
            try (var t = HuggingFaceTokenizer.newInstance(tokenizer,
                    Map.of("padding", "false", "truncation", "true", "maxLength", "32"))) {
                ids = t.encode("recops import test").getIds();
            } catch (IOException | RuntimeException e) {
                throw new RecopsException.InvalidInput("bad_tokenizer", tokenizer + " is not a tokenizer.json the Hugging Face tokenizers "
                        + "library can load: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            long[] shape = {1, ids.length};
            Map<String, ai.onnxruntime.OnnxTensor> feed = new LinkedHashMap<>();
            try {
                for (String name : inputs) {
                    long[] data = switch (name) {
                        case "input_ids" -> ids;
                        case "attention_mask" -> Arrays.stream(ids).map(x -> 1).toArray();
                        default -> new long[ids.length];
                    };
                    feed.put(name, ai.onnxruntime.OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape));
                }
                try (OrtSession.Result result = session.run(feed, Set.of(output))) {
                    long[] out = ((TensorInfo) result.get(0).getInfo()).getShape();
                    if (out.length != 3 || out[2] < 1 || out[2] > 65_536) {
                        throw new RecopsException.InvalidInput("unpoolable_outputs", "output " + output + " has shape "
                                + Arrays.toString(out) + ", not [batch, tokens, dimension]");
                    }
                    return (int) out[2];
                }
            } finally {
                feed.values().forEach(ai.onnxruntime.OnnxTensor::close);
            }
        }
    }
}
