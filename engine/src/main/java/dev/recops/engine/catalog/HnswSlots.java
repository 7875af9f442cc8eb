package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The directories an HNSW index of one (catalog file, model) may live in, and sharing them
 * between replicas on one host: a reload builds beside the index that serves; another process
 * serving the same content opens it read-only.
 */
final class HnswSlots {
    private HnswSlots() {}

    /** Directories tried for one (catalog file, model): a reload builds beside the index that serves. */
    static final int SLOTS = 4;

    /**
     * {@link HnswIndex#openOrBuild} in one of the directories {@code root/base-0} to {@code base-3}:
     * the one whose commit indexes exactly this content if there is one, else the first that no
     * index holds open (a reload builds beside the index serving); Lucene's write lock tells which.
     *
     * @param shareReadOnly when another process (another replica on this host) holds the index of
     *     exactly this content open for writing, open it read-only rather than build a copy
     */
    static HnswIndex openOrBuild(Path root, String base, Catalog catalog, int dimension, boolean normalized, String modelKey,
            HnswIndex.Params params, HnswIndex.Vectors vectors, CatalogIndex.Progress progress, boolean shareReadOnly) {
        long sum = HnswFingerprint.productSum(catalog);
        long fingerprint = HnswFingerprint.combine(sum, catalog.size(), modelKey, params, dimension);
        String want = Long.toString(fingerprint);
        List<Path> slots = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            slots.add(root.resolve(base + "-" + i));
        }
        Map<Path, Boolean> matches = new HashMap<>();
        slots.forEach(dir -> matches.put(dir, want.equals(committed(dir).get(HnswFormat.FINGERPRINT))));
        slots.sort(Comparator.comparing(dir -> !matches.get(dir))); // the matching one first
        RecopsException last = null;
        for (Path dir : slots) {
            try {
                HnswIndex index = HnswIndex.openOrBuild(dir, catalog, dimension, normalized, modelKey, params, vectors, progress, HnswIndex.CHECKPOINT, sum);
                return index.located(root, base);
            } catch (RecopsException e) {
                if (!(e.getCause() instanceof LockObtainFailedException)) {
                    throw e;
                }
                last = e;
                Map<String, String> held = committed(dir);
                if (shareReadOnly && want.equals(held.get(HnswFormat.FINGERPRINT)) && Integer.toString(catalog.size()).equals(held.get(HnswFormat.BUILT))) {
                    return openReadOnly(dir, catalog, params, normalized, sum, fingerprint).located(root, base);
                }
            }
        }
        throw new RecopsException.Unavailable("index_busy", "every vector index directory " + root.resolve(base) + "-0.." + (SLOTS - 1)
                + " is held open by another index (" + (last == null ? "" : last.getMessage()) + ")");
    }

    /** The index another process writes, as its last commit holds it; a live update copies it to a slot of this process's. */
    private static HnswIndex openReadOnly(Path dir, Catalog catalog, HnswIndex.Params params, boolean normalized, long productSum, long fingerprint) {
        Directory directory = null;
        try {
            directory = HnswIndex.open(dir);
            DirectoryReader reader = DirectoryReader.open(directory);
            if (!Long.toString(fingerprint).equals(reader.getIndexCommit().getUserData().get(HnswFormat.FINGERPRINT))) {
                reader.close(); // changed between the look and the open: build a copy of our own instead
                throw new RecopsException.Failure("index_changed", "the shared vector index in " + dir + " changed while opened", null);
            }
            return new HnswIndex(dir, directory, null, reader, catalog, params,
                    normalized ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.COSINE, productSum, fingerprint, true);
        } catch (IOException e) {
            HnswIndex.closeQuietly(null, directory);
            throw new RecopsException.Failure("index_failed", "cannot open the shared vector index in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The user data of the last commit in {@code dir}; empty when there is no index. */
    private static Map<String, String> committed(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Map.of();
        }
        try (FSDirectory d = FSDirectory.open(dir)) {
            return DirectoryReader.indexExists(d) ? HnswIndex.lastCommit(d) : Map.of();
        } catch (IOException e) {
            return Map.of();
        }
    }
}
