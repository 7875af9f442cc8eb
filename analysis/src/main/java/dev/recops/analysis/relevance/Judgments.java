package dev.recops.analysis.relevance;

import dev.recops.analysis.Csv;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Relevance judgments: for each query id, the gain of each judged product (0 = not relevant).
 * Read from a qrels CSV with a header naming at least {@code query_id}, {@code product_id} and
 * {@code gain} (the ESCI layout). Ids and gains hold no commas or quotes, so a plain split is
 * exact; any other shape is rejected with its line number.
 */
public record Judgments(Map<String, Map<String, Double>> gains) {
    public Judgments {
        gains = gains.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Map.copyOf(e.getValue())));
    }

    /** Query ids that have at least one relevant product. */
    public Set<String> queries() {
        return gains.keySet();
    }

    /** Gains of the judged products of one query; empty when the query has none. */
    public Map<String, Double> of(String queryId) {
        return gains.getOrDefault(queryId, Map.of());
    }

    /**
     * @throws IllegalArgumentException naming the file and line when a row is malformed
     * @throws dev.recops.analysis.AnalysisException when the file cannot be read or is not CSV
     */
    public static Judgments read(Path qrels) {
        Map<String, Map<String, Double>> gains = new HashMap<>();
        List<Csv.Row> rows = Csv.rows(qrels);
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(qrels + " is empty");
        }
        List<String> columns = rows.getFirst().fields().stream().map(String::strip).toList();
        int q = column(qrels, columns, "query_id");
        int p = column(qrels, columns, "product_id");
        int g = column(qrels, columns, "gain");
        for (Csv.Row row : rows.subList(1, rows.size())) {
            List<String> f = row.fields();
            if (f.size() != columns.size()) {
                throw new IllegalArgumentException(qrels + " line " + row.line() + ": " + f.size() + " fields, header has " + columns.size());
            }
            double gain;
            try {
                gain = Double.parseDouble(f.get(g).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(qrels + " line " + row.line() + ": gain \"" + f.get(g) + "\" is not a number", e);
            }
            gains.computeIfAbsent(f.get(q).strip(), k -> new LinkedHashMap<>()).put(f.get(p).strip(), gain);
        }
        return new Judgments(gains);
    }

    private static int column(Path file, List<String> columns, String name) {
        int i = columns.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(file + ": header has no " + name + " column");
        }
        return i;
    }
}
