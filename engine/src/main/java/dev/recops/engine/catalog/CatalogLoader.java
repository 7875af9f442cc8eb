package dev.recops.engine.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a catalog file: CSV with a header row ({@code .csv}) or JSON Lines ({@code .jsonl},
 * {@code .json}), either of them gzip-compressed ({@code .csv.gz}, {@code .jsonl.gz}). Required columns: {@code product_id}, {@code title}; optional: {@code brand},
 * {@code color}; others are ignored. Rows that cannot be used are kept in
 * {@link Catalog#rejectedRows()} with their line number, never silently dropped. A catalog with
 * no usable product is an error.
 */
public final class CatalogLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogLoader() {}

    /**
     * @throws RecopsException.PreconditionFailed when the file does not exist
     * @throws RecopsException.InvalidInput when the file is malformed as a whole (no header,
     *     not UTF-8, unterminated quote) or holds no valid product
     */
    public static Catalog load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new RecopsException.PreconditionFailed("catalog_missing", "catalog " + file + " not found (see --catalog)");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean gzip = name.endsWith(".gz");
        byte[] bytes;
        try (var in = gzip ? new java.util.zip.GZIPInputStream(Files.newInputStream(file), 1 << 16) : Files.newInputStream(file)) {
            bytes = in.readAllBytes();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " is not a complete gzip file: " + e.getMessage());
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read catalog " + file + ": " + e.getMessage(), e);
        }
        if (gzip) {
            name = name.substring(0, name.length() - 3); // the format is the name's before .gz
        }
        String text = decodeUtf8(file, bytes);
        Rows rows = name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")
                ? readJsonLines(file, text)
                : readCsv(file, text);
        if (rows.products.isEmpty()) {
            String why = rows.rejected.isEmpty() ? "it has no rows" : "every row was rejected, first: " + rows.rejected.getFirst();
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " has no usable product: " + why);
        }
        return new Catalog(file, sha256(bytes), rows.products, rows.rejected);
    }

    /** Products read from text, and the rows that could not be used. */
    public record Parsed(List<Product> products, List<Catalog.RejectedRow> rejected) {}

    /**
     * Products from JSON Lines (one object per line, the catalog's columns as fields), as a live
     * upsert sends them; the same checks as a catalog file, duplicate ids included.
     */
    public static Parsed parseJsonLines(String text) {
        Rows rows = readJsonLines(Path.of("request"), text);
        return new Parsed(List.copyOf(rows.products), List.copyOf(rows.rejected));
    }

    /** A product as a JSON Lines catalog holds it: what {@link #parseJsonLines} and {@link #load} read back to an equal product. */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(Product p) {
        var o = JSON.createObjectNode().put("product_id", p.productId()).put("title", p.title());
        if (!p.brand().isEmpty()) {
            o.put("brand", p.brand());
        }
        if (!p.color().isEmpty()) {
            o.put("color", p.color());
        }
        if (!Double.isNaN(p.price())) {
            o.put("price", p.price());
        }
        o.put("in_stock", p.inStock());
        new java.util.TreeMap<>(p.attributes()).forEach(o::put);
        return o;
    }

    /** Columns a product has fields for. */
    private static final java.util.Set<String> CORE = java.util.Set.of("product_id", "title", "brand", "color", "price", "in_stock");
    /** Columns too long to filter on; kept out of the attributes. */
    private static final java.util.Set<String> LONG_TEXT = java.util.Set.of("bullet_points", "description");

    private static final class Rows {
        final List<Product> products = new ArrayList<>();
        final List<Catalog.RejectedRow> rejected = new ArrayList<>();
        final Set<String> ids = new HashSet<>();

        /** @param fields every column of the row by lower-case name */
        void add(int line, Map<String, String> fields) {
            try {
                Map<String, String> attributes = new HashMap<>();
                fields.forEach((name, value) -> {
                    if (!CORE.contains(name) && !LONG_TEXT.contains(name) && value != null && !value.isBlank()) {
                        attributes.put(name, value.strip());
                    }
                });
                Product p = new Product(trim(fields.get("product_id")), trim(fields.get("title")), trim(fields.get("brand")),
                        trim(fields.get("color")), attributes, price(fields.get("price")), inStock(fields.get("in_stock")));
                if (!ids.add(p.productId())) {
                    rejected.add(new Catalog.RejectedRow(line, "duplicate product_id " + p.productId()));
                    return;
                }
                products.add(p);
            } catch (IllegalArgumentException | NullPointerException e) {
                rejected.add(new Catalog.RejectedRow(line, e.getMessage() == null ? "missing field" : e.getMessage()));
            }
        }

        private static String trim(String s) {
            return s == null ? null : s.strip();
        }

        private static double price(String s) {
            if (s == null || s.isBlank()) {
                return Double.NaN;
            }
            try {
                double v = Double.parseDouble(s.strip());
                if (v >= 0 && Double.isFinite(v)) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException("price must be a non-negative number, not " + abbreviate(s));
        }

        private static boolean inStock(String s) {
            if (s == null || s.isBlank()) {
                return true;
            }
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes", "y" -> true;
                case "false", "0", "no", "n" -> false;
                default -> throw new IllegalArgumentException("in_stock must be true or false (or 1/0, yes/no), not " + abbreviate(s));
            };
        }

        private static String abbreviate(String s) {
            String t = s.strip();
            return t.length() > 20 ? t.substring(0, 20) + "..." : t;
        }
    }

    private static Rows readCsv(Path file, String text) {
        Rows rows = new Rows();
        CsvReader csv = new CsvReader(new StringReader(text.startsWith("\uFEFF") ? text.substring(1) : text));
        try {
            CsvReader.Row header = csv.next();
            if (header == null) {
                throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " is empty");
            }
            Map<String, Integer> columns = new HashMap<>();
            for (int i = 0; i < header.fields().size(); i++) {
                columns.putIfAbsent(header.fields().get(i).strip().toLowerCase(Locale.ROOT), i);
            }
            List<String> missing = List.of("product_id", "title").stream().filter(c -> !columns.containsKey(c)).toList();
            if (!missing.isEmpty()) {
                throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " line " + header.line()
                        + ": the header has no " + String.join(" and no ", missing) + " column (required: product_id, title; it has "
                        + String.join(", ", header.fields().stream().map(String::strip).limit(20).toList()) + ")");
            }
            for (CsvReader.Row row; (row = csv.next()) != null; ) {
                if (row.fields().size() != header.fields().size()) {
                    rows.rejected.add(new Catalog.RejectedRow(row.line(),
                            row.fields().size() + " fields, header has " + header.fields().size()));
                    continue;
                }
                Map<String, String> fields = new HashMap<>();
                List<String> values = row.fields();
                columns.forEach((name, i) -> fields.put(name, values.get(i)));
                rows.add(row.line(), fields);
            }
        } catch (CsvReader.MalformedCsvException e) {
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
        return rows;
    }

    private static Rows readJsonLines(Path file, String text) {
        Rows rows = new Rows();
        try (BufferedReader in = new BufferedReader(new StringReader(text))) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    rows.rejected.add(new Catalog.RejectedRow(lineNo, "not valid JSON: " + e.getOriginalMessage()));
                    continue;
                }
                if (!node.isObject()) {
                    rows.rejected.add(new Catalog.RejectedRow(lineNo, "not a JSON object"));
                    continue;
                }
                Map<String, String> fields = new HashMap<>();
                for (Map.Entry<String, JsonNode> f : node.properties()) {
                    if (!f.getValue().isNull() && !f.getValue().isContainerNode()) {
                        fields.put(f.getKey().strip().toLowerCase(Locale.ROOT), f.getValue().asText());
                    }
                }
                rows.add(lineNo, fields);
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
        return rows;
    }

    private static String decodeUtf8(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " is not UTF-8 text");
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
