package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A BM25 index over product titles and brands, in memory: the degraded search path, which
 * needs no model and answers in about a millisecond. Built once per catalog. Thread-safe.
 */
public final class LexicalIndex {
    private static final int MAX_CLAUSES = 64;

    /** One match, best first; {@code row} is the product's position in the catalog. */
    public record Hit(int row, Product product, float score) {}

    private final Catalog catalog;
    private final StandardAnalyzer analyzer = new StandardAnalyzer();
    private final IndexSearcher searcher;

    private LexicalIndex(Catalog catalog, IndexSearcher searcher) {
        this.catalog = catalog;
        this.searcher = searcher;
    }

    /**
     * The catalog's index, built on first use (then kept): when every version searches words
     * through its own persisted index ({@link HnswIndex#lexical}), this one is never built.
     */
    public static Supplier<LexicalIndex> lazily(Catalog catalog) {
        return new Supplier<>() {
            private volatile LexicalIndex built;

            @Override
            public LexicalIndex get() {
                LexicalIndex b = built;
                if (b == null) {
                    synchronized (this) {
                        if (built == null) {
                            built = build(catalog);
                        }
                        b = built;
                    }
                }
                return b;
            }
        };
    }

    /**
     * The query's words (as the index's analyzer splits them, at most {@value #MAX_CLAUSES}), any
     * of which may match {@code field}; null when it has none.
     */
    static Query wordsQuery(Analyzer analyzer, String field, String query) {
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        int clauses = 0;
        try (var tokens = analyzer.tokenStream(field, query)) {
            var term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken() && clauses < MAX_CLAUSES) {
                q.add(new TermQuery(new Term(field, term.toString())), BooleanClause.Occur.SHOULD);
                clauses++;
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return clauses == 0 ? null : q.build();
    }

    private static Query wordsQuery(Analyzer analyzer, String query) {
        return wordsQuery(analyzer, "text", query);
    }

    public static LexicalIndex build(Catalog catalog) {
        ByteBuffersDirectory dir = new ByteBuffersDirectory();
        StandardAnalyzer analyzer = new StandardAnalyzer();
        try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity()))) {
            for (int row = 0; row < catalog.size(); row++) {
                Product p = catalog.products().get(row);
                Document d = new Document();
                d.add(new StoredField("row", row));
                d.add(new TextField("text", p.title() + " " + p.brand(), Field.Store.NO));
                w.addDocument(d);
            }
            w.commit();
            IndexSearcher searcher = new IndexSearcher(DirectoryReader.open(dir));
            searcher.setSimilarity(new BM25Similarity());
            return new LexicalIndex(catalog, searcher);
        } catch (IOException e) {
            throw new RecopsException.Failure("lexical_index_failed", "cannot build the BM25 index: " + e.getMessage(), e);
        }
    }

    /**
     * The {@code k} best products for the query's words (any word may match), best first.
     *
     * @param filter products that may be returned
     */
    public List<Hit> search(String query, int k, Predicate<Product> filter) {
        Query built = wordsQuery(analyzer, query);
        if (built == null) {
            return List.of();
        }
        try {
            // Filtered-out products take places: ask for more until k match or every match was seen,
            // so a selective filter never leaves fewer than k when k exist.
            for (int want = Math.min(catalog.size(), k * 4 + 16); ; want = Math.min(catalog.size(), want * 4)) {
                List<Hit> hits = new ArrayList<>(k);
                ScoreDoc[] docs = searcher.search(built, Math.max(1, want)).scoreDocs;
                for (ScoreDoc sd : docs) {
                    int row = searcher.storedFields().document(sd.doc).getField("row").numericValue().intValue();
                    Product p = catalog.products().get(row);
                    if (filter.test(p)) {
                        hits.add(new Hit(row, p, sd.score));
                        if (hits.size() == k) {
                            return hits;
                        }
                    }
                }
                if (docs.length < want || want >= catalog.size()) {
                    return hits;
                }
            }
        } catch (IOException e) {
            throw new RecopsException.Failure("lexical_search_failed", "BM25 search failed: " + e.getMessage(), e);
        }
    }
}
