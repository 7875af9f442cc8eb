package dev.recops.engine.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.ProductFilter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Turns request bodies into validated {@link Queries}. Every problem is an
 * {@link RecopsException.InvalidInput} whose message names the field and what is wrong with it.
 */
final class RequestParser {
    static final int DEFAULT_K = 10;
    static final int MAX_TEXTS = 64;
    static final int MAX_RECENT = 100;
    private static final Set<String> SEARCH_FIELDS = Set.of("query", "k", "filters", "version", "mode");
    private static final Set<String> RECOMMEND_FIELDS = Set.of("recent_product_ids", "k", "version");
    private static final Set<String> EMBED_FIELDS = Set.of("texts", "version");

    /** Refuses trailing content after the JSON value ({@code {...} garbage}). */
    private final ObjectReader reader;

    private static final Pattern ATTRIBUTE = Pattern.compile("[a-z0-9_]{1,64}");

    RequestParser(ObjectMapper json) {
        this.reader = json.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    Queries.Search search(byte[] body) {
        JsonNode root = object(body);
        onlyFields(root, SEARCH_FIELDS);
        String query = requiredText(root, "query");
        return invalidAsInput(() -> new Queries.Search(query, k(root), filters(root), target(root), mode(root)));
    }

    Queries.Recommend recommend(byte[] body) {
        JsonNode root = object(body);
        onlyFields(root, RECOMMEND_FIELDS);
        List<String> ids = textArray(root, "recent_product_ids", MAX_RECENT);
        return invalidAsInput(() -> new Queries.Recommend(ids, k(root), target(root)));
    }

    Queries.Embed embed(byte[] body) {
        JsonNode root = object(body);
        onlyFields(root, EMBED_FIELDS);
        List<String> texts = textArray(root, "texts", MAX_TEXTS);
        return invalidAsInput(() -> new Queries.Embed(texts, target(root)));
    }

    JsonNode object(byte[] body) {
        if (body.length == 0) {
            throw invalid("empty_body", "the request body is empty; send a JSON object");
        }
        JsonNode root;
        try {
            root = reader.readTree(body);
        } catch (JsonProcessingException e) {
            // Constraint violations (nesting depth, number length) carry no location.
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw invalid("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw invalid("invalid_json", "the body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw invalid("invalid_json", "the body must be a JSON object");
        }
        return root;
    }

    private static String requiredText(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw invalid("missing_field", "\"" + field + "\" is required");
        }
        if (!v.isTextual()) {
            throw invalid("invalid_field", "\"" + field + "\" must be a string");
        }
        if (v.asText().isBlank()) {
            throw invalid("invalid_field", "\"" + field + "\" is empty");
        }
        return clean(field, v.asText());
    }

    /** Text a model should see: no control characters but tab and line breaks, no unpaired UTF-16 surrogates. */
    private static String clean(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f) {
                throw invalid("invalid_text", "\"" + field + "\" holds a control character (U+" + String.format("%04X", (int) c) + ")");
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalid("invalid_text", "\"" + field + "\" is not valid Unicode (an unpaired surrogate)");
            }
        }
        return text;
    }

    /** Unknown fields are refused, so that a misspelt "qeury" or "K" is an error rather than silently ignored. */
    private static void onlyFields(JsonNode root, Set<String> allowed) {
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!allowed.contains(e.getKey())) {
                throw invalid("unknown_field", "unknown field \"" + e.getKey() + "\" (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    private static int k(JsonNode root) {
        JsonNode v = root.get("k");
        if (v == null || v.isNull()) {
            return DEFAULT_K;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1 || v.asInt() > Queries.MAX_K) {
            throw invalid("invalid_field", "\"k\" must be an integer in 1.." + Queries.MAX_K + ", not " + v);
        }
        return v.asInt();
    }

    private static Queries.Mode mode(JsonNode root) {
        JsonNode v = root.get("mode");
        if (v == null || v.isNull()) {
            return Queries.Mode.DEFAULT;
        }
        if (!v.isTextual()) {
            throw invalid("invalid_field", "\"mode\" must be one of vector, lexical, hybrid, hybrid-weighted");
        }
        return Queries.Mode.of(v.asText()); // IllegalArgumentException becomes a 400 in invalidAsInput
    }

    private static Queries.Target target(JsonNode root) {
        JsonNode v = root.get("version");
        if (v == null || v.isNull()) {
            return Queries.Target.PRIMARY;
        }
        if (!(v.isTextual() || v.isIntegralNumber()) || v.asText().isBlank()) {
            throw invalid("invalid_field", "\"version\" must be a version name such as \"2\"");
        }
        return new Queries.Target(v.asText());
    }

    /**
     * {@code {"brand": "Acme", "category": "chairs", "price": {"min": 10, "max": 50}, "in_stock": true}}:
     * attributes by exact value, a price range, stock. Whether the catalog has each attribute is
     * checked by the service, which knows the catalog.
     */
    private static ProductFilter filters(JsonNode root) {
        JsonNode v = root.get("filters");
        if (v == null || v.isNull()) {
            return ProductFilter.NONE;
        }
        if (!v.isObject()) {
            throw invalid("invalid_field", "\"filters\" must be an object such as {\"brand\": \"Acme\", \"price\": {\"max\": 50}}");
        }
        Map<String, String> equal = new HashMap<>();
        double min = 0;
        double max = Double.POSITIVE_INFINITY;
        ProductFilter.Stock stock = ProductFilter.Stock.ANY;
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            String name = e.getKey();
            JsonNode value = e.getValue();
            switch (name) {
                case "price" -> {
                    if (!value.isObject() || value.isEmpty() || !value.properties().stream().allMatch(p -> Set.of("min", "max").contains(p.getKey())
                            && p.getValue().isNumber() && Double.isFinite(p.getValue().asDouble()))) {
                        throw invalid("invalid_field", "filter \"price\" must be {\"min\": number, \"max\": number} (either or both)");
                    }
                    min = value.path("min").asDouble(0);
                    max = value.has("max") ? value.get("max").asDouble() : Double.POSITIVE_INFINITY;
                }
                case "in_stock" -> {
                    if (!value.isBoolean()) {
                        throw invalid("invalid_field", "filter \"in_stock\" must be true or false");
                    }
                    stock = value.asBoolean() ? ProductFilter.Stock.IN_STOCK : ProductFilter.Stock.OUT_OF_STOCK;
                }
                default -> {
                    if (!ATTRIBUTE.matcher(name).matches()) {
                        throw invalid("invalid_field", "unknown filter \"" + abbreviate(name) + "\" (attributes are lower-case catalog columns)");
                    }
                    if (!value.isTextual()) {
                        throw invalid("invalid_field", "filter \"" + name + "\" must be a string");
                    }
                    equal.put(name, value.asText());
                }
            }
        }
        return new ProductFilter(equal, min, max, stock);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static List<String> textArray(JsonNode root, String field, int max) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw invalid("missing_field", "\"" + field + "\" is required");
        }
        if (!v.isArray()) {
            throw invalid("invalid_field", "\"" + field + "\" must be an array of strings");
        }
        if (v.isEmpty()) {
            throw invalid("invalid_field", "\"" + field + "\" is empty");
        }
        if (v.size() > max) {
            throw invalid("invalid_field", "\"" + field + "\" has " + v.size() + " entries; at most " + max + " are allowed");
        }
        List<String> values = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isTextual() || item.asText().isBlank()) {
                throw invalid("invalid_field", "\"" + field + "\"[" + i + "] must be a non-empty string");
            }
            values.add(clean(field + "[" + i + "]", item.asText()));
        }
        return values;
    }

    private static <T> T invalidAsInput(Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw invalid("invalid_field", e.getMessage());
        }
    }

    private static RecopsException.InvalidInput invalid(String code, String message) {
        return new RecopsException.InvalidInput(code, message);
    }
}
