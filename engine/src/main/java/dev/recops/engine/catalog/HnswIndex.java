package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
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
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FileSwitchDirectory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.VectorUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
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
    /** Products between two commits of a build. */
    static final int CHECKPOINT = 50_000;

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

    HnswIndex(Path dir, Directory directory, IndexWriter writer, DirectoryReader reader, Catalog catalog, Params params,
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
                    SortedDocValues ids = leaf.reader().getSortedDocValues(HnswFormat.ID); // an iterator per thread
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

    /**
     * {@link #openOrBuild} in one of the directories {@code root/base-0} to {@code base-3}: the one
     * whose commit indexes exactly this content if there is one, else the first that no index
     * holds open (a reload builds beside the index serving); Lucene's write lock tells which.
     */
    public static HnswIndex openOrBuildUnder(Path root, String base, Catalog catalog, int dimension, boolean normalized, String modelKey,
            Params params, Vectors vectors, CatalogIndex.Progress progress) {
        return HnswSlots.openOrBuild(root, base, catalog, dimension, normalized, modelKey, params, vectors, progress, true);
    }

    /** Where {@link #openOrBuildUnder} found this index, so a read-only one can be copied into a slot of its own. */
    HnswIndex located(Path root, String base) {
        this.root = root;
        this.base = base;
        return this;
    }

    /** Whether this index is another process's, opened read-only (its first live update copies it). */
    public boolean readOnly() {
        return writer == null;
    }

    /** As the public one, committing every {@code checkpoint} products (tests use small ones). */
    static HnswIndex openOrBuild(Path dir, Catalog catalog, int dimension, boolean normalized, String modelKey, Params params,
            Vectors vectors, CatalogIndex.Progress progress, int checkpoint) {
        return openOrBuild(dir, catalog, dimension, normalized, modelKey, params, vectors, progress, checkpoint, HnswFingerprint.productSum(catalog));
    }

    static HnswIndex openOrBuild(Path dir, Catalog catalog, int dimension, boolean normalized, String modelKey, Params params,
            Vectors vectors, CatalogIndex.Progress progress, int checkpoint, long productSum) {
        long fingerprint = HnswFingerprint.combine(productSum, catalog.size(), modelKey, params, dimension);
        VectorSimilarityFunction similarity = normalized ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE;
        Directory directory = null;
        IndexWriter writer = null;
        try {
            Files.createDirectories(dir);
            directory = open(dir);
            TieredMergePolicy merges = new TieredMergePolicy();
            merges.setNoCFSRatio(0); // never a compound file: the raw vectors must stay in their own .vec file (see open)
            IndexWriterConfig config = new IndexWriterConfig(HnswFormat.ANALYZER).setCodec(HnswFormat.codec(params)).setRAMBufferSizeMB(128)
                    .setUseCompoundFile(false).setMergePolicy(merges)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND).setCommitOnClose(false);
            writer = new IndexWriter(directory, config);
            Map<String, String> committed = DirectoryReader.indexExists(directory) ? lastCommit(directory) : Map.of();
            boolean same = Long.toString(fingerprint).equals(committed.get(HnswFormat.FINGERPRINT));
            int built = same ? Integer.parseInt(committed.getOrDefault(HnswFormat.BUILT, "0")) : 0;
            if (built > 0 && built < catalog.size()
                    && !catalog.products().get(built - 1).productId().equals(committed.get(HnswFormat.LAST))) {
                built = 0; // the same products in another order: the committed prefix is not this catalog's
            }
            if (built == 0) {
                writer.deleteAll();
            }
            boolean opened = same && built == catalog.size();
            if (!opened) {
                HnswFormat.build(writer, catalog, dimension, similarity, vectors, built, fingerprint, progress, checkpoint);
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
    static Map<String, String> lastCommit(Directory directory) throws IOException {
        return SegmentInfos.readLatestCommit(directory).getUserData();
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
        Query restrict = HnswFormat.filterQuery(filter, excludedIds);
        try {
            ScoreDoc[] docs = searcher.search(new KnnFloatVectorQuery(HnswFormat.VECTOR, query, want, restrict), want).scoreDocs;
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
        Query words = LexicalIndex.wordsQuery(HnswFormat.ANALYZER, HnswFormat.TEXT, query);
        if (words == null) {
            return List.of();
        }
        Query restrict = HnswFormat.filterQuery(filter, List.of());
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
                        values[leaf] = leaves.get(leaf).reader().getFloatVectorValues(HnswFormat.VECTOR);
                    }
                    // Every document has a vector (a deleted one keeps it until merged), so ord == doc.
                    return values[leaf].vectorValue(doc - leaves.get(leaf).docBase);
                } catch (IOException e) {
                    throw new RecopsException.Failure("index_read_failed", "cannot read a vector from " + dir + ": " + e.getMessage(), e);
                }
            }
        };
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
            return HnswSlots.openOrBuild(root, base, next, dimension, similarity == VectorSimilarityFunction.DOT_PRODUCT, modelKey, params, kept,
                    CatalogIndex.Progress.NONE, false);
        }
        try {
            long sum = productSum;
            for (Product p : next.products()) {
                Product old = catalog.product(p.productId());
                if (!p.equals(old)) {
                    sum += HnswFingerprint.hash(p) - (old == null ? 0 : HnswFingerprint.hash(old));
                    float[] v = new float[dimension];
                    kept.copy(next.row(p.productId()).getAsInt(), v);
                    writer.updateDocument(new Term(HnswFormat.ID, p.productId()), HnswFormat.document(p, v, similarity));
                }
            }
            for (Product p : catalog.products()) {
                if (next.product(p.productId()) == null) {
                    writer.deleteDocuments(new Term(HnswFormat.ID, p.productId()));
                    sum -= HnswFingerprint.hash(p);
                }
            }
            long nextFingerprint = HnswFingerprint.combine(sum, next.size(), modelKey, params, dimension);
            writer.setLiveCommitData(Map.of(HnswFormat.FINGERPRINT, Long.toString(nextFingerprint), HnswFormat.BUILT, Integer.toString(next.size())).entrySet());
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

    static void closeQuietly(IndexWriter writer, Directory directory) {
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
