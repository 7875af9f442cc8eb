package dev.recops.engine.catalog;

import java.util.Map;
import java.util.TreeSet;

/** What an HNSW index holds, as one number: a restart with the same content opens it, anything else rebuilds it. */
final class HnswFingerprint {
    private HnswFingerprint() {}

    /**
     * What an index holds is one number: the model, the graph parameters and the sum of the
     * products' hashes ({@link #combine}), so an update changes it by the products it changes.
     */
    static long productSum(Catalog catalog) {
        return catalog.products().parallelStream().mapToLong(HnswFingerprint::hash).sum(); // a sum: any order gives it
    }

    static long combine(long productSum, int count, String modelKey, HnswIndex.Params params, int dimension) {
        return mix(productSum ^ mix(count) ^ mix(modelKey.hashCode()) ^ mix(31L * params.maxConn() + params.beamWidth()) ^ mix(dimension + 7L)
                ^ mix(HnswFormat.FORMAT * 0x9E3779B97F4A7C15L));
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
}
