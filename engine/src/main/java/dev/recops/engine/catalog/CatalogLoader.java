package dev.recops.engine.catalog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

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

    /** Columns a product has fields for. */
    private static final Set<String> CORE = Set.of("product_id", "title", "brand", "color", "price", "in_stock");
    /** Columns too long to filter on; kept out of the attributes. */
    private static final Set<String> LONG_TEXT = Set.of("bullet_points", "description");
    /** Lines parsed per task: the reading thread splits the file, every core parses. */
    private static final int PARSE_CHUNK = 4096;
    private static final JsonFactory JSON_FACTORY = JSON.getFactory();

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
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3); // the format is the name's before .gz
        }
        boolean jsonLines = name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json");
        // Streamed: the file is read once, through the hash, never held whole (10^6 products are ~300 MB).
        MessageDigest sha = sha256();
        Rows rows;
        try (var hashed = new DigestInputStream(content(file), sha);
             var in = new BufferedReader(new InputStreamReader(hashed, StandardCharsets.UTF_8.newDecoder()
                     .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16)) {
            rows = jsonLines ? readJsonLines(in) : readCsv(file, in);
            while (hashed.read() >= 0) {
                // a torn gzip file shows only at its end: read it to the end
            }
        } catch (CharacterCodingException e) {
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " is not UTF-8 text");
        } catch (ZipException | EOFException e) {
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " is not a complete gzip file: " + e.getMessage());
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read catalog " + file + ": " + e.getMessage(), e);
        }
        if (rows.products.isEmpty()) {
            String why = rows.rejected.isEmpty() ? "it has no rows" : "every row was rejected, first: " + rows.rejected.getFirst();
            throw new RecopsException.InvalidInput("invalid_catalog", "catalog " + file + " has no usable product: " + why);
        }
        return new Catalog(file, HexFormat.of().formatHex(sha.digest()), rows.products, rows.rejected);
    }

    /**
     * {@link #load(Path)}, through a snapshot of the parsed catalog kept in {@code snapshots}: when
     * the file's content is what the snapshot was made from, its products are read from there
     * (hashing the file costs a fraction of parsing it); otherwise the file is parsed and the
     * snapshot written for the next start.
     */
    public static Catalog load(Path file, Optional<Path> snapshots) {
        if (snapshots.isEmpty()) {
            return load(file);
        }
        Path snapshot = CatalogSnapshot.fileFor(snapshots.get(), file);
        if (Files.isRegularFile(snapshot) && Files.isRegularFile(file)) {
            try {
                Optional<Catalog> kept = CatalogSnapshot.read(snapshot, file, contentHash(file));
                if (kept.isPresent()) {
                    return kept.get();
                }
            } catch (IOException e) {
                // parsed below, which reports what is wrong with the file
            }
        }
        Catalog parsed = load(file);
        CatalogSnapshot.write(snapshot, parsed);
        return parsed;
    }

    /** Products read from text, and the rows that could not be used. */
    public record Parsed(List<Product> products, List<Catalog.RejectedRow> rejected) {}

    /**
     * Products from JSON Lines (one object per line, the catalog's columns as fields), as a live
     * upsert sends them; the same checks as a catalog file, duplicate ids included.
     */
    public static Parsed parseJsonLines(String text) {
        Rows rows;
        try (BufferedReader in = new BufferedReader(new StringReader(text))) {
            rows = readJsonLines(in);
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
        return new Parsed(List.copyOf(rows.products), List.copyOf(rows.rejected));
    }

    /** A product as a JSON Lines catalog holds it: what {@link #parseJsonLines} and {@link #load} read back to an equal product. */
    public static ObjectNode toJson(Product p) {
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
        new TreeMap<>(p.attributes()).forEach(o::put);
        return o;
    }

    private static final class Rows {
        final List<Product> products = new ArrayList<>();
        final List<Catalog.RejectedRow> rejected = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        /** Brands, colours and attribute names and values repeat across products: one copy of each. */
        final Map<String, String> shared = new ConcurrentHashMap<>();

        /** @param fields every column of the row by lower-case name */
        void add(int line, Map<String, String> fields) {
            accept(line, parse(fields));
        }

        /** The row's product, or why it cannot be used (a String); thread-safe. */
        Object parse(Map<String, String> fields) {
            try {
                Map<String, String> attributes = new HashMap<>();
                fields.forEach((name, value) -> {
                    if (!CORE.contains(name) && !LONG_TEXT.contains(name) && value != null && !value.isBlank()) {
                        attributes.put(share(name), share(value.strip()));
                    }
                });
                return new Product(trim(fields.get("product_id")), trim(fields.get("title")), share(trim(fields.get("brand"))),
                        share(trim(fields.get("color"))), attributes, price(fields.get("price")), inStock(fields.get("in_stock")));
            } catch (IllegalArgumentException | NullPointerException e) {
                return e.getMessage() == null ? "missing field" : e.getMessage();
            }
        }

        /** Adds what {@link #parse} made of the row on {@code line}, in file order (a repeated id is the later row's fault). */
        void accept(int line, Object parsed) {
            if (parsed instanceof Product p) {
                if (!ids.add(p.productId())) {
                    rejected.add(new Catalog.RejectedRow(line, "duplicate product_id " + p.productId()));
                    return;
                }
                products.add(p);
            } else {
                rejected.add(new Catalog.RejectedRow(line, (String) parsed));
            }
        }

        private String share(String s) {
            return s == null || s.length() > 64 ? s : shared.computeIfAbsent(s, k -> k);
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

    private static Rows readCsv(Path file, BufferedReader in) throws IOException {
        Rows rows = new Rows();
        in.mark(1);
        if (in.read() != '\uFEFF') { // a byte order mark is not part of the first column's name
            in.reset();
        }
        CsvReader csv = new CsvReader(in);
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
        }
        return rows;
    }

    /**
     * JSON Lines, parsed on every core in chunks while this thread reads on; rows are added in
     * file order, so line numbers and duplicate ids come out as one pass would give them.
     */
    private static Rows readJsonLines(BufferedReader in) throws IOException {
        Rows rows = new Rows();
        int ahead = 2 * Runtime.getRuntime().availableProcessors();
        ArrayDeque<Future<Object[]>> pending = new ArrayDeque<>();
        try (var parsers = Executors.newVirtualThreadPerTaskExecutor()) {
            int lineNo = 0;
            List<String> chunk = new ArrayList<>(PARSE_CHUNK);
            for (String line; ; ) {
                line = in.readLine();
                if (line != null) {
                    chunk.add(line);
                    lineNo++;
                }
                if (chunk.size() == PARSE_CHUNK || (line == null && !chunk.isEmpty())) {
                    List<String> lines = chunk;
                    int first = lineNo - lines.size() + 1;
                    pending.add(parsers.submit(() -> parseChunk(rows, lines, first)));
                    chunk = new ArrayList<>(PARSE_CHUNK);
                }
                while (!pending.isEmpty() && (pending.size() > ahead || line == null)) {
                    Object[] parsed = join(pending.poll());
                    for (int i = 0; i < parsed.length; i += 2) {
                        rows.accept((Integer) parsed[i], parsed[i + 1]);
                    }
                }
                if (line == null) {
                    return rows;
                }
            }
        }
    }

    private static Object[] join(Future<Object[]> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the catalog");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Pairs of (line number, what {@link Rows#parse} made of it), blank lines left out. */
    private static Object[] parseChunk(Rows rows, List<String> lines, int firstLine) {
        List<Object> out = new ArrayList<>(2 * lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            out.add(firstLine + i);
            out.add(parseLine(rows, line));
        }
        return out.toArray();
    }

    /** One JSON Lines row: its scalar fields by lower-case name (numbers as Jackson's tree writes them), nested values skipped. */
    private static Object parseLine(Rows rows, String line) {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser p = JSON_FACTORY.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return "not a JSON object";
            }
            var t = p.nextToken();
            for (; t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName().strip().toLowerCase(Locale.ROOT);
                var v = p.nextToken();
                switch (v) {
                    case START_OBJECT, START_ARRAY -> p.skipChildren();
                    case VALUE_NULL -> { }
                    case VALUE_NUMBER_FLOAT -> fields.put(name, Double.toString(p.getDoubleValue()));
                    default -> fields.put(name, p.getText());
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return "not valid JSON: the object does not end on its line";
            }
        } catch (JsonProcessingException e) {
            return "not valid JSON: " + e.getOriginalMessage();
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
        return rows.parse(fields);
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** The file's content: its bytes, decompressed when its name ends in {@code .gz}. */
    private static InputStream content(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    /** The SHA-256 of the file's content, as {@link #load(Path)} computes it while parsing, without parsing. */
    private static String contentHash(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = content(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
