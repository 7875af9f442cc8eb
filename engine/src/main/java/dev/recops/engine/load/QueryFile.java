package dev.recops.engine.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.CsvReader;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads query texts for a workload: CSV with a {@code query} column (the WANDS and ESCI files),
 * JSON Lines with a {@code "query"} string field ({@code .jsonl}, {@code .ndjson}), or one query
 * per line for anything else. Blank queries are skipped; anything malformed is an
 * {@link RecopsException.InvalidInput} naming the file and line.
 */
public final class QueryFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueryFile() {}

    public static List<String> read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            List<String> queries = name.endsWith(".csv") ? csv(file)
                    : name.endsWith(".jsonl") || name.endsWith(".ndjson") ? jsonLines(file)
                    : plain(file);
            if (queries.isEmpty()) {
                throw new RecopsException.InvalidInput("no_queries", file + " holds no queries");
            }
            return queries;
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "query file " + file + " not found");
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> csv(Path file) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            CsvReader csv = new CsvReader(in);
            CsvReader.Row header = csv.next();
            if (header == null) {
                return List.of();
            }
            int column = -1;
            for (int i = 0; i < header.fields().size(); i++) {
                if (header.fields().get(i).strip().equalsIgnoreCase("query")) {
                    column = i;
                }
            }
            if (column < 0) {
                throw new RecopsException.InvalidInput("no_query_column", file + ": the header has no 'query' column");
            }
            List<String> queries = new ArrayList<>();
            for (CsvReader.Row row = csv.next(); row != null; row = csv.next()) {
                if (column < row.fields().size() && !row.fields().get(column).isBlank()) {
                    queries.add(row.fields().get(column).strip());
                }
            }
            return queries;
        } catch (CsvReader.MalformedCsvException e) {
            throw new RecopsException.InvalidInput("malformed_csv", file + ": " + e.getMessage());
        }
    }

    private static List<String> jsonLines(Path file) throws IOException {
        List<String> queries = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            line++;
            if (l.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(l);
            } catch (IOException e) {
                throw new RecopsException.InvalidInput("malformed_json", file + ": line " + line + " is not JSON");
            }
            JsonNode q = node == null ? null : node.get("query");
            if (q == null || !q.isTextual()) {
                throw new RecopsException.InvalidInput("no_query_field", file + ": line " + line + " has no \"query\" string");
            }
            if (!q.asText().isBlank()) {
                queries.add(q.asText().strip());
            }
        }
        return queries;
    }

    private static List<String> plain(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
