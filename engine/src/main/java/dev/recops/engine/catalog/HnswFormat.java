package dev.recops.engine.catalog;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

/**
 * What an HNSW index's files hold: the codec (8-bit quantized vectors, every core merging), a
 * product's document (id, vector, title and brand for BM25, filterable attributes), the build
 * with its resumable commits, and a filter as a query over the documents.
 */
final class HnswFormat {
    private HnswFormat() {}

    /** How titles are split into words, when indexed and when searched (IndexWriterConfig's default). */
    static final Analyzer ANALYZER = new StandardAnalyzer();
    static final String VECTOR = "v";
    static final String ID = "id";
    static final String PRICE = "price";
    static final String STOCK = "in_stock";
    static final String ATTRIBUTE = "a.";
    /** Title and brand, for BM25: the lexical index lives in the same index as the vectors. */
    static final String TEXT = "text";
    /** Bump when what a document holds changes, so indexes written before are rebuilt. */
    static final int FORMAT = 2;
    static final String FINGERPRINT = "recops.fingerprint";
    static final String BUILT = "recops.built";
    /** The id of the last product a partial build committed: a resume needs the same order. */
    static final String LAST = "recops.last";

    /**
     * Adds the products from row {@code from} on, committing every {@code checkpoint} with the
     * fingerprint and how far it got (a resume starts there), then merges them into one graph.
     */
    static void build(IndexWriter writer, Catalog catalog, int dimension, VectorSimilarityFunction similarity, HnswIndex.Vectors vectors,
            int from, long fingerprint, CatalogIndex.Progress progress, int checkpoint) throws IOException {
        int n = catalog.size();
        if (from < n) {
            float[] v = new float[dimension];
            vectors.copy(from, v); // the first may embed the whole catalog: progress after it
            writer.addDocument(document(catalog.products().get(from), v, similarity));
            progress.update(from, n);
        }
        // Between checkpoints the products are added from every core: each thread fills its own
        // segment's graph, and forceMerge joins them with every core too (the format's merge workers).
        // No merge meanwhile: merging graphs that the final merge joins again is work done twice.
        MergePolicy merges = writer.getConfig().getMergePolicy();
        writer.getConfig().setMergePolicy(NoMergePolicy.INSTANCE);
        for (int start = from + 1; start <= n; ) {
            int end = Math.min(n, (start / checkpoint + 1) * checkpoint);
            try {
                IntStream.range(start, end).parallel().forEach(row -> {
                    float[] v = new float[dimension];
                    vectors.copy(row, v);
                    try {
                        writer.addDocument(document(catalog.products().get(row), v, similarity));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) { // perhaps wrapped again by the fork-join pool for this thread's stack
                Throwable cause = e;
                while (cause != null && !(cause instanceof IOException)) {
                    cause = cause.getCause();
                }
                throw cause instanceof IOException io ? io : new IOException(e);
            }
            writer.setLiveCommitData(Map.of(FINGERPRINT, Long.toString(fingerprint), BUILT, Integer.toString(end), LAST,
                    catalog.products().get(end - 1).productId()).entrySet());
            writer.commit();
            progress.update(end, n);
            if (end == n) {
                break;
            }
            start = end;
        }
        if (n == 0) {
            writer.setLiveCommitData(Map.of(FINGERPRINT, Long.toString(fingerprint), BUILT, "0").entrySet());
            writer.commit();
        }
        // One graph: a search visits every segment's graph for its ef candidates, so ten segments
        // cost about ten searches. Merging starts from the largest segment's graph.
        writer.getConfig().setMergePolicy(merges);
        progress.step("merging the index into one graph");
        writer.forceMerge(1);
        writer.commit();
    }

    /** Threads that insert vectors into the merged graph: every core (a first build is the slow part of a start). */
    private static final int MERGE_WORKERS = Runtime.getRuntime().availableProcessors();

    /** A product's document: its id, vector, text for BM25 and filterable attributes. */
    static Document document(Product p, float[] vector, VectorSimilarityFunction similarity) {
        Document d = new Document();
        d.add(new StringField(ID, p.productId(), Field.Store.NO));
        d.add(new SortedDocValuesField(ID, new BytesRef(p.productId())));
        d.add(new KnnFloatVectorField(VECTOR, vector, similarity));
        d.add(new TextField(TEXT, p.title() + " " + p.brand(), Field.Store.NO));
        if (!p.brand().isEmpty()) {
            d.add(new StringField(ATTRIBUTE + "brand", p.brand().toLowerCase(Locale.ROOT), Field.Store.NO));
        }
        if (!p.color().isEmpty()) {
            d.add(new StringField(ATTRIBUTE + "color", p.color().toLowerCase(Locale.ROOT), Field.Store.NO));
        }
        p.attributes().forEach((name, value) -> d.add(new StringField(ATTRIBUTE + name, value.toLowerCase(Locale.ROOT), Field.Store.NO)));
        if (!Double.isNaN(p.price())) {
            d.add(new DoublePoint(PRICE, p.price()));
        }
        d.add(new StringField(STOCK, Boolean.toString(p.inStock()), Field.Store.NO));
        return d;
    }

    private static final ExecutorService MERGES = MERGE_WORKERS < 2 ? null
            : Executors.newFixedThreadPool(MERGE_WORKERS, Thread.ofPlatform().name("recops-hnsw-merge-", 0).daemon().factory());

    static Lucene104Codec codec(HnswIndex.Params params) {
        KnnVectorsFormat format = new Lucene104HnswScalarQuantizedVectorsFormat(QuantizedByteVectorValues.ScalarEncoding.UNSIGNED_BYTE,
                params.maxConn(), params.beamWidth(), MERGES == null ? 1 : MERGE_WORKERS, MERGES);
        return new Lucene104Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return format;
            }
        };
    }

    /** The filter as a Lucene query over the indexed attributes; null when it keeps everything. */
    static Query filterQuery(ProductFilter filter, Collection<String> excludedIds) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        int clauses = 0;
        for (Map.Entry<String, String> e : filter.equal().entrySet()) {
            b.add(new TermQuery(new Term(ATTRIBUTE + e.getKey(), e.getValue())), BooleanClause.Occur.FILTER);
            clauses++;
        }
        if (filter.minPrice() > 0 || filter.maxPrice() < Double.POSITIVE_INFINITY) {
            b.add(DoublePoint.newRangeQuery(PRICE, filter.minPrice(), filter.maxPrice()), BooleanClause.Occur.FILTER);
            clauses++;
        }
        if (filter.stock() != ProductFilter.Stock.ANY) {
            b.add(new TermQuery(new Term(STOCK, Boolean.toString(filter.stock() == ProductFilter.Stock.IN_STOCK))), BooleanClause.Occur.FILTER);
            clauses++;
        }
        for (String id : excludedIds) {
            b.add(new TermQuery(new Term(ID, id)), BooleanClause.Occur.MUST_NOT);
        }
        if (clauses == 0 && excludedIds.isEmpty()) {
            return null;
        }
        if (clauses == 0) {
            b.add(MatchAllDocsQuery.INSTANCE, BooleanClause.Occur.FILTER);
        }
        return b.build();
    }
}
