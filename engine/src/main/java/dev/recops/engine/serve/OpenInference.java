package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;

/**
 * The KServe Open Inference Protocol (v2) REST surface of the text encoder: server and model
 * metadata, model readiness, and {@code infer} with one BYTES input of texts returning one FP32
 * output of embeddings, so standard v2 clients can call recops.
 *
 * <pre>{@code
 * POST /v2/models/search-encoder/infer
 * {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [2], "data": ["sofa", "desk lamp"]}]}
 * -> {"model_name": "search-encoder", "model_version": "2",
 *     "outputs": [{"name": "embedding", "datatype": "FP32", "shape": [2, 384], "data": [...]}]}
 * }</pre>
 */
final class OpenInference {
    static final String INPUT = "text";
    static final String OUTPUT = "embedding";

    private final SearchService service;
    private final ObjectMapper json;
    private final RequestParser parser;
    private final String serverVersion;

    OpenInference(SearchService service, ObjectMapper json, RequestParser parser, String serverVersion) {
        this.service = service;
        this.json = json;
        this.parser = parser;
        this.serverVersion = serverVersion;
    }

    Reply server() {
        ObjectNode out = json.createObjectNode().put("name", "recops").put("version", serverVersion);
        out.putArray("extensions");
        return Reply.plain(200, out);
    }

    /** Model metadata; {@code version} empty for the model as a whole. */
    Reply metadata(String model, String version) {
        int dimension = dimension(model, version);
        ObjectNode out = json.createObjectNode().put("name", model);
        ArrayNode versions = out.putArray("versions");
        if (version.isEmpty()) {
            service.versions().forEach(versions::add);
        } else {
            versions.add(version);
        }
        out.put("platform", "onnxruntime_onnx");
        out.putArray("inputs").addObject().put("name", INPUT).put("datatype", "BYTES").putArray("shape").add(-1);
        out.putArray("outputs").addObject().put("name", OUTPUT).put("datatype", "FP32").putArray("shape").add(-1).add(dimension);
        return Reply.plain(200, out);
    }

    Reply ready(String model, String version) {
        boolean ready = service.modelName().equals(model) && service.dimensionOf(version).isPresent();
        ObjectNode out = json.createObjectNode().put("name", model).put("ready", ready);
        if (!version.isEmpty()) {
            out.put("version", version);
        }
        return Reply.plain(ready ? 200 : 503, out);
    }

    Reply infer(String model, String version, byte[] body, long deadlineNanos, BooleanSupplier callerGone) {
        dimension(model, version);
        JsonNode root = parser.object(body);
        List<String> texts = texts(root);
        Queries.Embedded e = service.embed(new Queries.Embed(texts, new Queries.Target(version)), deadlineNanos, callerGone);
        ObjectNode out = json.createObjectNode().put("model_name", e.model()).put("model_version", e.version());
        if (root.hasNonNull("id")) {
            out.put("id", root.get("id").asText());
        }
        ObjectNode output = out.putArray("outputs").addObject().put("name", OUTPUT).put("datatype", "FP32");
        output.putArray("shape").add(texts.size()).add(e.dimension());
        ArrayNode data = output.putArray("data");
        for (float[] v : e.vectors()) {
            for (float x : v) {
                data.add(x);
            }
        }
        return new Reply(200, out, e.model(), e.version(), e.timings(), 0, 0, texts.size(), "", "");
    }

    private int dimension(String model, String version) {
        if (!service.modelName().equals(model)) {
            throw new RecopsException.NotFound("model_not_found", "no model " + model + " (serving " + service.modelName() + ")");
        }
        if (!service.ready()) {
            throw new RecopsException.Unavailable("not_ready", "the model is still loading");
        }
        OptionalInt d = service.dimensionOf(version);
        if (d.isEmpty()) {
            throw new RecopsException.NotFound("version_not_found", "model " + model + " has no loaded version " + version);
        }
        return d.getAsInt();
    }

    /** The texts of the one BYTES input; its data may be flat or nested ([n] or [n, 1]). */
    private static List<String> texts(JsonNode root) {
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
            throw new RecopsException.InvalidInput("invalid_field", "\"inputs\" must hold exactly one input, \"" + INPUT + "\"");
        }
        JsonNode input = inputs.get(0);
        if (!"BYTES".equals(input.path("datatype").asText())) {
            throw new RecopsException.InvalidInput("invalid_field", "input datatype must be BYTES, not " + input.path("datatype"));
        }
        List<String> texts = new ArrayList<>();
        flatten(input.get("data"), texts);
        if (texts.isEmpty() || texts.size() > RequestParser.MAX_TEXTS) {
            throw new RecopsException.InvalidInput("invalid_field",
                    "input data must hold 1.." + RequestParser.MAX_TEXTS + " texts, not " + texts.size());
        }
        long expected = 1;
        JsonNode shape = input.get("shape");
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw new RecopsException.InvalidInput("invalid_field", "input shape must be an array such as [" + texts.size() + "]");
        }
        for (JsonNode d : shape) {
            expected *= d.asLong();
        }
        if (expected != texts.size()) {
            throw new RecopsException.InvalidInput("invalid_field", "input shape " + shape + " does not match " + texts.size() + " texts");
        }
        return texts;
    }

    private static void flatten(JsonNode node, List<String> into) {
        if (node == null || !node.isArray()) {
            throw new RecopsException.InvalidInput("invalid_field", "input data must be an array of strings");
        }
        for (JsonNode item : node) {
            if (item.isArray()) {
                flatten(item, into);
            } else if (item.isTextual() && !item.asText().isBlank()) {
                into.add(item.asText());
            } else {
                throw new RecopsException.InvalidInput("invalid_field", "input data must hold non-empty strings");
            }
        }
    }
}
