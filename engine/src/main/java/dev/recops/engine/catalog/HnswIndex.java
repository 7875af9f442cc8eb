package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
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
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FileSwitchDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.VectorUtil;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

/**
 * Approximate nearest neighbours over a catalog's vectors: a Lucene HNSW graph of vectors
 * quantized to 8 bits per dimension (Lucene 10.4's optimized scalar quantization), on disk under
 * the cache directory and memory-mapped, with the filterable attributes indexed beside them so
 * that a filter runs inside the graph search (Lucene falls back to an exact search of the
 * matching products when a filter is very selective). Its candidates are rescored with the
 * full-precision vectors, which stay in the index's files (nothing of them on the heap), so the
 * final order is exact among them. Titles and brands are indexed too: the catalog's BM25 search
 * ({@link #lexical}) lives in the same index, persisted and updated with it.
 *
 * <p>A directory holds one index for one (catalog file, model); its commit carries the
 * fingerprint of what it indexes (model, graph parameters, every product), so a restart with the
 * same content opens it in milliseconds and anything else rebuilds it. A build commits every
 * {@value #CHECKPOINT} products: an interrupted build resumes where it stopped. Live updates go
 * into the index product by product ({@link #updated}). One process writes a directory (Lucene's
 * write lock); replicas on one host share it: another process serving the same content opens it
 * read-only, and copies it into a directory of its own only when a live update changes its
 * catalog.
 *
 * <p>Thread-safe for searches; {@link #updated} is called by one thread at a time.
 */
public final class HnswIndex implements AutoCloseable {
    /** How titles are split into words, when indexed and when searched (IndexWriterConfig's default). */
    private static final Analyzer ANALYZER = new StandardAnalyzer();
    /** Products between two commits of a build. */
    static final int CHECKPOINT = 50_000;
    private static final String VECTOR = "v";
    private static final String ID = "id";
    private static final String PRICE = "price";
    private static final String STOCK = "in_stock";
    private static final String ATTRIBUTE = "a.";
    /** Title and brand, for BM25: the lexical index lives in the same index as the vectors. */
    private static final String TEXT = "text";
    /** Bump when what a document holds changes, so indexes written before are rebuilt. */
    private static final int FORMAT = 2;
    private static final String FINGERPRINT = "recops.fingerprint";
    private static final String BUILT = "recops.built";
    /** The id of the last product a partial build committed: a resume needs the same order. */
    private static final String LAST = "recops.last";

    /**
     * How the graph is built and searched.
     *
     * @param maxConn neighbours per node (Lucene's M)
     * @param beamWidth candidates considered while inserting (efConstruction)
     * @param efSearch candidates a search collects before the best k are taken (at least k)
     */
    public record Params(int maxConn, int beamWidth, int efSearch) {
        /** Below {@link #LARGE} products: recall@10 0.975 at 10^5 (M 16 reaches only 0.90 at 10^6, at any ef that keeps p99 near 10 ms). */
        public static final Params DEFAULT = new Params(16, 100, 200);
        /**
         * From {@link #LARGE} products: at 10^6 (384-d, docs/performance.md) recall@10 0.955 with
         * retrieval p50 5.3 / p99 7.7 ms on 2 cores, against 0.90 for M 16 at ef 400; the build
         * takes about twice as long.
         */
        public static final Params LARGE_DEFAULT = new Params(32, 200, 300);
        /** Catalog size from which {@link #LARGE_DEFAULT} applies: between 10^5 and 10^6, the two sizes measured. */
        public static final int LARGE = 250_000;

        /** The parameters a catalog of {@code products} gets when none are given. */
        public static Params forSize(int products) {
            return products >= LARGE ? LARGE_DEFAULT : DEFAULT;
        }

        public Params {
            if (maxConn < 2 || maxConn > 512 || beamWidth < 1 || beamWidth > 3200 || efSearch < 1 || efSearch > 10_000) {
                throw new IllegalArgumentException("HNSW parameters out of range: M " + maxConn + ", beam " + beamWidth + ", ef " + efSearch);
            }
        }
    }

    /** A candidate: its catalog row and its approximate similarity. */
    public record Candidate(int row, float score) {}

    private final Path dir;
    private final Directory directory;
    private final IndexWriter writer;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final Catalog catalog;
    private final Params params;
    private final VectorSimilarityFunction similarity;
    private final long fingerprint;
    /** The sum of the products' hashes, from which an update makes the next fingerprint. */
    private final long productSum;
    private final boolean opened;
    /** The catalog row of each document of the snapshot (-1: deleted), and the document of each row. */
    private final int[] rowOfDoc;
    private final int[] docOfRow;
    /** Where the index's slots are, when {@link #openOrBuildUnder} opened it (set once, before it is shared). */
    private Path root;
    private String base;

    private HnswIndex(Path dir, Directory directory, IndexWriter writer, DirectoryReader reader, Catalog catalog, Params params,
            VectorSimilarityFunction similarity, long productSum, long fingerprint, boolean opened) {
        this.dir = dir;
        this.directory = directory;
        this.writer = writer;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        this.searcher.setQueryCache(null); // filters differ per query; caching them costs more than it saves
        this.catalog = catalog;
        this.params = params;
        this.similarity = similarity;
        this.fingerprint = fingerprint;
        this.productSum = productSum;
        this.opened = opened;
        this.rowOfDoc = new int[reader.maxDoc()];
        this.docOfRow = new int[catalog.size()];
        mapRows();
    }

    /** Fills {@link #rowOfDoc} and {@link #docOfRow} from the documents' product ids, a range of documents per core. */
    private void mapRows() {
        Arrays.fill(rowOfDoc, -1);
        Arrays.fill(docOfRow, -1);
        int parts = Runtime.getRuntime().availableProcessors();
        for (LeafReaderContext leaf : reader.leaves()) {
            int maxDoc = leaf.reader().maxDoc();
            IntStream.range(0, parts).parallel().forEach(part -> {
                int from = (int) ((long) maxDoc * part / parts);
                int to = (int) ((long) maxDoc * (part + 1) / parts);
                try {
                    SortedDocValues ids = leaf.reader().getSortedDocValues(ID); // an iterator per thread
                    Bits live = leaf.reader().getLiveDocs();
                    if (ids == null || from >= to) {
                        return;
                    }
                    for (int doc = ids.advance(from); doc < to; doc = ids.nextDoc()) {
                        if (live == null || live.get(doc)) {
                            OptionalInt row = catalog.row(ids.lookupOrd(ids.ordValue()).utf8ToString());
                            if (row.isPresent()) {
                                rowOfDoc[leaf.docBase + doc] = row.getAsInt(); // distinct slots per thread
                                docOfRow[row.getAsInt()] = leaf.docBase + doc;
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new RecopsException.Failure("index_read_failed", "cannot read the vector index in " + dir + ": " + e.getMessage(), e);
                }
            });
        }
        for (int row = 0; row < docOfRow.length; row++) {
            if (docOfRow[row] < 0) {
                throw new RecopsException.Failure("index_incomplete", "the vector index in " + dir + " has no vector for product "
                        + catalog.products().get(row).productId(), null);
            }
        }
    }

    /** Where the vectors of a catalog row come from while building: called from several threads at once. */
    @FunctionalInterface
    public interface Vectors {
        /** Copies the vector of {@code row} into {@code into}. */
        void copy(int row, float[] into);

        /** Vectors that can also be scored against a query without a copy. */
        interface Reader extends Vectors {
            float dot(float[] query, int row);
        }
    }

    /**
     * Opens the index in {@code dir} when it indexes exactly this catalog with this model and
     * these parameters; otherwise builds it (resuming a build that was interrupted).
     *
     * @param modelKey identifies the model and how it embeds (see {@link CatalogIndex})
     * @param normalized whether the vectors have unit length (dot product), else cosine
     */
    public static HnswIndex openOrBuild(Path dir, Catalog catalog, int dimension, boolean normalized, String modelKey, Params params,
            Vectors vectors, CatalogIndex.Progress progress) {
        return openOrBuild(dir, catalog, dimension, normalized, modelKey, params, vectors, progress, CHECKPOINT);
    }

    /** Directories tried for one (catalog file, model): a reload builds beside the index that serves. */
    static final int SLOTS = 4;

    /**
     * {@link #openOrBuild} in one of the directories {@code root/base-0} to {@code base-3}: the one
     * whose commit indexes exactly this content if there is one, else the first that no index
     * holds open (a reload builds beside the index serving); Lucene's write lock tells which.
     */
    public static HnswIndex openOrBuildUnder(Path root, String base, Catalog catalog, int dimension, boolean normalized, String modelKey,
            Params params, Vectors vectors, CatalogIndex.Progress progress) {
        return openOrBuildUnder(root, base, catalog, dimension, normalized, modelKey, params, vectors, progress, true);
    }

    /**
     * @param shareReadOnly when another process (another replica on this host) holds the index of
     *     exactly this content open for writing, open it read-only rather than build a copy
     */
    private static HnswIndex openOrBuildUnder(Path root, String base, Catalog catalog, int dimension, boolean normalized, String modelKey,
            Params params, Vectors vectors, CatalogIndex.Progress progress, boolean shareReadOnly) {
        long sum = productSum(catalog);
        long fingerprint = combine(sum, catalog.size(), modelKey, params, dimension);
        String want = Long.toString(fingerprint);
        List<Path> slots = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            slots.add(root.resolve(base + "-" + i));
        }
        Map<Path, Boolean> matches = new HashMap<>();
        slots.forEach(dir -> matches.put(dir, want.equals(committed(dir).get(FINGERPRINT))));
        slots.sort(Comparator.comparing(dir -> !matches.get(dir))); // the matching one first
        RecopsException last = null;
        for (Path dir : slots) {
            try {
                HnswIndex index = openOrBuild(dir, catalog, dimension, normalized, modelKey, params, vectors, progress, CHECKPOINT, sum);
                return index.located(root, base);
            } catch (RecopsException e) {
                if (!(e.getCause() instanceof LockObtainFailedException)) {
                    throw e;
                }
                last = e;
                Map<String, String> held = committed(dir);
                if (shareReadOnly && want.equals(held.get(FINGERPRINT)) && Integer.toString(catalog.size()).equals(held.get(BUILT))) {
                    return openReadOnly(dir, catalog, params, normalized, sum, fingerprint).located(root, base);
                }
            }
        }
        throw new RecopsException.Unavailable("index_busy", "every vector index directory " + root.resolve(base) + "-0.." + (SLOTS - 1)
                + " is held open by another index (" + (last == null ? "" : last.getMessage()) + ")");
    }

    /** The index another process writes, as its last commit holds it; a live update copies it to a slot of this process's. */
    private static HnswIndex openReadOnly(Path dir, Catalog catalog, Params params, boolean normalized, long productSum, long fingerprint) {
        Directory directory = null;
        try {
            directory = open(dir);
            DirectoryReader reader = DirectoryReader.open(directory);
            if (!Long.toString(fingerprint).equals(reader.getIndexCommit().getUserData().get(FINGERPRINT))) {
                reader.close(); // changed between the look and the open: build a copy of our own instead
                throw new RecopsException.Failure("index_changed", "the shared vector index in " + dir + " changed while opened", null);
            }
            return new HnswIndex(dir, directory, null, reader, catalog, params,
                    normalized ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE, productSum, fingerprint, true);
        } catch (IOException e) {
            closeQuietly(null, directory);
            throw new RecopsException.Failure("index_failed", "cannot open the shared vector index in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Where {@link #openOrBuildUnder} found this index, so a read-only one can be copied into a slot of its own. */
    private HnswIndex located(Path root, String base) {
        this.root = root;
        this.base = base;
        return this;
    }

    /** Whether this index is another process's, opened read-only (its first live update copies it). */
    public boolean readOnly() {
        return writer == null;
    }

    /** The user data of the last commit in {@code dir}; empty when there is no index. */
    private static Map<String, String> committed(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Map.of();
        }
        try (FSDirectory d = FSDirectory.open(dir)) {
            return DirectoryReader.indexExists(d) ? lastCommit(d) : Map.of();
        } catch (IOException e) {
            return Map.of();
        }
    }

    /** As the public one, committing every {@code checkpoint} products (tests use small ones). */
    static HnswIndex openOrBuild(Path dir, Catalog catalog, int dimension, boolean normalized, String modelKey, Params params,
            Vectors vectors, CatalogIndex.Progress progress, int checkpoint) {
        return openOrBuild(dir, catalog, dimension, normalized, modelKey, params, vectors, progress, checkpoint, productSum(catalog));
    }

    private static HnswIndex openOrBuild(Path dir, Catalog catalog, int dimension, boolean normalized, String modelKey, Params params,
            Vectors vectors, CatalogIndex.Progress progress, int checkpoint, long productSum) {
        long fingerprint = combine(productSum, catalog.size(), modelKey, params, dimension);
        VectorSimilarityFunction similarity = normalized ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE;
        Directory directory = null;
        IndexWriter writer = null;
        try {
            Files.createDirectories(dir);
            directory = open(dir);
            TieredMergePolicy merges = new TieredMergePolicy();
            merges.setNoCFSRatio(0); // never a compound file: the raw vectors must stay in their own .vec file (see open)
            IndexWriterConfig config = new IndexWriterConfig(ANALYZER).setCodec(codec(params)).setRAMBufferSizeMB(128)
                    .setUseCompoundFile(false).setMergePolicy(merges)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND).setCommitOnClose(false);
            writer = new IndexWriter(directory, config);
            Map<String, String> committed = DirectoryReader.indexExists(directory) ? lastCommit(directory) : Map.of();
            boolean same = Long.toString(fingerprint).equals(committed.get(FINGERPRINT));
            int built = same ? Integer.parseInt(committed.getOrDefault(BUILT, "0")) : 0;
            if (built > 0 && built < catalog.size()
                    && !catalog.products().get(built - 1).productId().equals(committed.get(LAST))) {
                built = 0; // the same products in another order: the committed prefix is not this catalog's
            }
            if (built == 0) {
                writer.deleteAll();
            }
            boolean opened = same && built == catalog.size();
            if (!opened) {
                build(writer, catalog, dimension, similarity, vectors, built, fingerprint, progress, checkpoint);
            }
            DirectoryReader reader = DirectoryReader.open(writer);
            return new HnswIndex(dir, directory, writer, reader, catalog, params, similarity, productSum, fingerprint, opened);
        } catch (IOException | RuntimeException e) {
            closeQuietly(writer, directory);
            if (e instanceof RecopsException re) {
                throw re;
            }
            throw new RecopsException.Failure("index_failed", "cannot build or open the vector index in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The index's files: memory-mapped, except the full-precision vectors ({@code .vec}, 4 bytes a
     * dimension, 1.5 GB at 10^6 products of 384 dimensions), read with positional reads. Only
     * rescoring (a few hundred vectors a query) and merges read them; mapped, the pages a
     * process has touched count in its RSS until the kernel takes them back, so over hours of
     * queries the whole file would. Read, they stay in the page cache, shared and reclaimable.
     * The quantized vectors and the graph, which every search walks, stay mapped.
     */
    static Directory open(Path dir) throws IOException {
        return new FileSwitchDirectory(Set.of("vec"), new NIOFSDirectory(dir),
                new MMapDirectory(dir), true);
    }

    /** The user data of the directory's last commit, read from its segments file alone (no segment is opened). */
    private static Map<String, String> lastCommit(Directory directory) throws IOException {
        return SegmentInfos.readLatestCommit(directory).getUserData();
    }

    private static void build(IndexWriter writer, Catalog catalog, int dimension, VectorSimilarityFunction similarity, Vectors vectors,
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

    private static Document document(Product p, float[] vector, VectorSimilarityFunction similarity) {
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

    /** Threads that insert vectors into the merged graph: every core (a first build is the slow part of a start). */
    private static final int MERGE_WORKERS = Runtime.getRuntime().availableProcessors();
    private static final ExecutorService MERGES = MERGE_WORKERS < 2 ? null
            : Executors.newFixedThreadPool(MERGE_WORKERS, Thread.ofPlatform().name("recops-hnsw-merge-", 0).daemon().factory());

    private static Lucene104Codec codec(Params params) {
        KnnVectorsFormat format = new Lucene104HnswScalarQuantizedVectorsFormat(QuantizedByteVectorValues.ScalarEncoding.UNSIGNED_BYTE,
                params.maxConn(), params.beamWidth(), MERGES == null ? 1 : MERGE_WORKERS, MERGES);
        return new Lucene104Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return format;
            }
        };
    }

    /**
     * What an index holds is one number: the model, the graph parameters and the sum of the
     * products' hashes ({@link #combine}), so an update changes it by the products it changes.
     */
    private static long productSum(Catalog catalog) {
        return catalog.products().parallelStream().mapToLong(HnswIndex::hash).sum(); // a sum: any order gives it
    }

    private static long combine(long productSum, int count, String modelKey, Params params, int dimension) {
        return mix(productSum ^ mix(count) ^ mix(modelKey.hashCode()) ^ mix(31L * params.maxConn() + params.beamWidth()) ^ mix(dimension + 7L)
                ^ mix(FORMAT * 0x9E3779B97F4A7C15L));
    }

    /** A 64-bit hash of everything indexed about a product. */
    static long hash(Product p) {
        long h = 0xcbf29ce484222325L;
        h = fnv(h, p.productId());
        h = fnv(h, p.embeddingText());
        h = fnv(h, p.color());
        h = fnv(h, Double.toString(p.price()));
        h = fnv(h, p.inStock() ? "1" : "0");
        Map<String, String> attributes = p.attributes();
        for (String name : attributes.size() < 2 ? attributes.keySet() : new TreeSet<>(attributes.keySet())) {
            h = fnv(fnv(h, name), attributes.get(name));
        }
        return mix(h);
    }

    private static long fnv(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return (h ^ 0x1f) * 0x100000001b3L; // a separator, so ("ab", "c") and ("a", "bc") differ
    }

    private static long mix(long z) { // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Whether it was opened as persisted (no build at this start). */
    public boolean opened() {
        return opened;
    }

    public Params params() {
        return params;
    }

    public Path dir() {
        return dir;
    }

    /** Bytes of the index's files on disk. */
    public long sizeOnDisk() {
        try (var files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The best candidates for {@code query} among the products {@code filter} keeps, not among
     * {@code excludedIds}: at most {@code max(k, efSearch)} found through the graph by their
     * quantized vectors, each scored exactly (dot product with its full-precision vector, read
     * from the memory-mapped index), best first.
     */
    public List<Candidate> search(float[] query, int k, ProductFilter filter, Collection<String> excludedIds) {
        int want = Math.max(k, params.efSearch());
        Query restrict = filterQuery(filter, excludedIds);
        try {
            ScoreDoc[] docs = searcher.search(new KnnFloatVectorQuery(VECTOR, query, want, restrict), want).scoreDocs;
            Vectors.Reader raw = rawVectors();
            List<Candidate> out = new ArrayList<>(docs.length);
            for (ScoreDoc sd : docs) {
                int row = sd.doc < rowOfDoc.length ? rowOfDoc[sd.doc] : -1;
                if (row >= 0) {
                    out.add(new Candidate(row, raw.dot(query, row)));
                }
            }
            out.sort(Comparator.comparingDouble((Candidate c) -> -c.score()).thenComparingInt(Candidate::row));
            return out;
        } catch (IOException e) {
            throw new RecopsException.Failure("index_search_failed", "vector index search failed: " + e.getMessage(), e);
        }
    }

    /**
     * BM25 over titles and brands of the products {@code filter} keeps (the filter runs inside the
     * search): the {@code k} best, best first. Persisted with the vectors and updated with them, so
     * a restart or a live update never rebuilds it.
     */
    public List<LexicalIndex.Hit> lexical(String query, int k, ProductFilter filter) {
        Query words = LexicalIndex.wordsQuery(ANALYZER, TEXT, query);
        if (words == null) {
            return List.of();
        }
        Query restrict = filterQuery(filter, List.of());
        Query q = restrict == null ? words
                : new BooleanQuery.Builder().add(words, BooleanClause.Occur.MUST).add(restrict, BooleanClause.Occur.FILTER).build();
        try {
            // Equal scores come in catalog order, as the in-memory index gives them (documents here
            // are in the order the build's threads added them): a few more than k are fetched for that.
            ScoreDoc[] docs = searcher.search(q, k + 16).scoreDocs;
            List<LexicalIndex.Hit> out = new ArrayList<>(docs.length);
            for (ScoreDoc sd : docs) {
                int row = sd.doc < rowOfDoc.length ? rowOfDoc[sd.doc] : -1;
                if (row >= 0) {
                    out.add(new LexicalIndex.Hit(row, catalog.products().get(row), sd.score));
                }
            }
            out.sort(Comparator.comparingDouble((LexicalIndex.Hit h) -> -h.score()).thenComparingInt(LexicalIndex.Hit::row));
            return out.size() > k ? List.copyOf(out.subList(0, k)) : out;
        } catch (IOException e) {
            throw new RecopsException.Failure("lexical_search_failed", "BM25 search failed: " + e.getMessage(), e);
        }
    }

    /**
     * The full-precision vectors of this snapshot by catalog row, read from the memory-mapped
     * index (nothing on the heap). One reader per thread: it keeps a position per segment.
     */
    public Vectors.Reader rawVectors() {
        List<LeafReaderContext> leaves = reader.leaves();
        FloatVectorValues[] values = new FloatVectorValues[leaves.size()];
        return new Vectors.Reader() {
            @Override
            public void copy(int row, float[] into) {
                System.arraycopy(value(row), 0, into, 0, into.length);
            }

            @Override
            public float dot(float[] q, int row) {
                return VectorUtil.dotProduct(q, value(row));
            }

            private float[] value(int row) {
                int doc = docOfRow[row];
                int leaf = ReaderUtil.subIndex(doc, leaves);
                try {
                    if (values[leaf] == null) {
                        values[leaf] = leaves.get(leaf).reader().getFloatVectorValues(VECTOR);
                    }
                    // Every document has a vector (a deleted one keeps it until merged), so ord == doc.
                    return values[leaf].vectorValue(doc - leaves.get(leaf).docBase);
                } catch (IOException e) {
                    throw new RecopsException.Failure("index_read_failed", "cannot read a vector from " + dir + ": " + e.getMessage(), e);
                }
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

    /**
     * This index over {@code next}: products that differ from this catalog's are replaced, new ones
     * added, missing ones deleted, and the change committed (with the new fingerprint) before the
     * new index is returned. This index keeps answering from its own snapshot until closed.
     *
     * @param vectors the vector of every new product's row in {@code next} and of every product whose
     *     text changed (the others keep the vector this index has)
     */
    public HnswIndex updated(Catalog next, Vectors vectors, int dimension, String modelKey) {
        ThreadLocal<Vectors.Reader> mine = ThreadLocal.withInitial(this::rawVectors); // a build copies from every core
        Vectors kept = (row, into) -> { // same text, same vector: a product whose text did not change keeps its own
            Product p = next.products().get(row);
            Product old = catalog.product(p.productId());
            if (old != null && old.embeddingText().equals(p.embeddingText())) {
                mine.get().copy(catalog.row(p.productId()).getAsInt(), into);
            } else {
                vectors.copy(row, into);
            }
        };
        if (writer == null) { // another process's index: build this one's own, with the vectors it already has
            if (root == null) {
                throw new IllegalStateException("a read-only index opened outside openOrBuildUnder");
            }
            return openOrBuildUnder(root, base, next, dimension, similarity == VectorSimilarityFunction.DOT_PRODUCT, modelKey, params, kept,
                    CatalogIndex.Progress.NONE, false);
        }
        try {
            long sum = productSum;
            for (Product p : next.products()) {
                Product old = catalog.product(p.productId());
                if (!p.equals(old)) {
                    sum += hash(p) - (old == null ? 0 : hash(old));
                    float[] v = new float[dimension];
                    kept.copy(next.row(p.productId()).getAsInt(), v);
                    writer.updateDocument(new Term(ID, p.productId()), document(p, v, similarity));
                }
            }
            for (Product p : catalog.products()) {
                if (next.product(p.productId()) == null) {
                    writer.deleteDocuments(new Term(ID, p.productId()));
                    sum -= hash(p);
                }
            }
            long nextFingerprint = combine(sum, next.size(), modelKey, params, dimension);
            writer.setLiveCommitData(Map.of(FINGERPRINT, Long.toString(nextFingerprint), BUILT, Integer.toString(next.size())).entrySet());
            writer.commit();
            DirectoryReader changed = DirectoryReader.openIfChanged(reader, writer);
            return new HnswIndex(dir, directory, writer, changed == null ? reader : changed, next, params, similarity, sum, nextFingerprint,
                    true).located(root, base);
        } catch (IOException e) {
            throw new RecopsException.Failure("index_update_failed", "cannot update the vector index in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Releases this snapshot's reader (the writer and directory stay with the newest index). */
    public void release() {
        try {
            reader.decRef();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the writer and the directory: the index family is done (its version unloaded). */
    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException | AlreadyClosedException e) {
            // already released
        }
        closeQuietly(writer, directory);
    }

    private static void closeQuietly(IndexWriter writer, Directory directory) {
        try {
            if (writer != null) {
                writer.rollback(); // nothing uncommitted is wanted: every change was committed when made
            }
        } catch (IOException | RuntimeException ignored) {
            // closing
        }
        try {
            if (directory != null) {
                directory.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public String toString() {
        return "HNSW index " + dir + (readOnly() ? " (read-only, shared)" : "") + " (" + catalog.size() + " products, M " + params.maxConn() + ", beam " + params.beamWidth() + ", ef "
                + params.efSearch() + ", fingerprint " + Objects.toString(fingerprint) + ")";
    }
}
