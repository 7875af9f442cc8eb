package dev.recops.cli;

import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.relevance.Judgments;
import dev.recops.analysis.relevance.RankingMetrics;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CsvReader;
import dev.recops.engine.catalog.Fusion;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.serve.Queries;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How well a model version ranks a catalog for judged queries: what {@code model verify --judgments} gates on. */
final class VersionRelevance {
    private VersionRelevance() {}

    /** nDCG@10 over the judged queries of {@code queries} (CSV: query_id, query), per search mode, in the order given. */
    static Map<String, Double> ndcgAt10(TextEncoder encoder, Catalog c, Path queries, Path judgments, List<String> modes) {
        Judgments j;
        try {
            j = Judgments.read(judgments);
        } catch (IllegalArgumentException | AnalysisException e) {
            throw new RecopsException.InvalidInput("bad_judgments", e.getMessage());
        }
        CatalogIndex index = CatalogIndex.build(c, encoder, Optional.empty(), CatalogIndex.Progress.NONE);
        LexicalIndex lexical = LexicalIndex.build(c);
        Map<String, String> judged = new LinkedHashMap<>();
        readQueries(queries).forEach((id, text) -> {
            if (!j.of(id).isEmpty()) {
                judged.put(id, text);
            }
        });
        if (judged.isEmpty()) {
            throw new RecopsException.InvalidInput("no_judged_queries", "no query in " + queries + " has judgments in " + judgments);
        }
        Map<String, Double> sums = new LinkedHashMap<>();
        int depth = Fusion.depth(10);
        for (Map.Entry<String, String> q : judged.entrySet()) {
            float[] vector = encoder.embed(List.of(encoder.version().manifest().queryPrefix() + q.getValue()))[0];
            List<CatalogIndex.Hit> byVector = index.search(vector, depth, p -> true, row -> false);
            List<LexicalIndex.Hit> byWords = lexical.search(q.getValue(), depth, p -> true);
            for (String m : modes) {
                List<String> ranked = Queries.Mode.of(m).rank(byVector, byWords, 10).stream()
                        .map(h -> h.product().productId()).toList();
                sums.merge(m, RankingMetrics.ndcg(ranked, j.of(q.getKey()), 10), Double::sum);
            }
        }
        sums.replaceAll((m, sum) -> sum / judged.size());
        return sums;
    }

    private static Map<String, String> readQueries(Path queries) {
        Map<String, String> byId = new LinkedHashMap<>();
        try (var in = Files.newBufferedReader(queries, StandardCharsets.UTF_8)) {
            CsvReader csv = new CsvReader(in);
            CsvReader.Row header = csv.next();
            int id = header == null ? -1 : header.fields().indexOf("query_id");
            int text = header == null ? -1 : header.fields().indexOf("query");
            if (id < 0 || text < 0) {
                throw new RecopsException.InvalidInput("bad_queries", queries + " needs query_id and query columns");
            }
            for (CsvReader.Row row = csv.next(); row != null; row = csv.next()) {
                if (row.fields().size() > Math.max(id, text)) {
                    byId.put(row.fields().get(id), row.fields().get(text));
                }
            }
            return byId;
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "query file " + queries + " not found (see --queries)");
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot read " + queries + ": " + e.getMessage(), e);
        } catch (CsvReader.MalformedCsvException e) {
            throw new RecopsException.InvalidInput("malformed_csv", queries + ": " + e.getMessage());
        }
    }
}
