package dev.recops.engine.catalog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A loaded catalog: the products in order, unique by id, and what was rejected. Immutable; a
 * live update makes a new catalog ({@link #withProducts}).
 */
public final class Catalog {
    /** A catalog row that was not loaded, and why. */
    public record RejectedRow(int line, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    private final Path source;
    private final String contentHash;
    private final List<Product> products;
    private final List<RejectedRow> rejectedRows;
    private final SortedSet<String> filterable;
    private final Map<String, Integer> rowById;

    /**
     * @param source the file it was read from
     * @param contentHash lower-case hex SHA-256 of that file's bytes
     * @param products the valid products, in file order, unique by id
     * @param rejectedRows rows that could not be used, each with its line number and reason
     */
    public Catalog(Path source, String contentHash, List<Product> products, List<RejectedRow> rejectedRows) {
        this.source = Objects.requireNonNull(source, "source");
        this.contentHash = Objects.requireNonNull(contentHash, "contentHash");
        this.products = List.copyOf(products);
        this.rejectedRows = List.copyOf(rejectedRows);
        Map<String, Integer> rows = HashMap.newHashMap(this.products.size());
        SortedSet<String> names = new TreeSet<>(List.of("brand", "color", "price", "in_stock"));
        for (int i = 0; i < this.products.size(); i++) {
            Product p = this.products.get(i);
            if (rows.put(p.productId(), i) != null) {
                throw new IllegalArgumentException("duplicate product_id " + p.productId());
            }
            names.addAll(p.attributes().keySet());
        }
        this.rowById = rows;
        this.filterable = Collections.unmodifiableSortedSet(names);
    }

    /**
     * A short name for a catalog file's location (12 hex digits of a hash of its absolute path),
     * for directories kept per catalog file: its journal, its vector indexes.
     */
    public static String fileKey(Path file) {
        return String.format("%012x", EmbeddingCache.TextKey.of(file.toAbsolutePath().normalize().toString()).high() >>> 16);
    }

    /** The file the catalog (or, after live updates, the catalog they were applied to) was read from. */
    public Path source() {
        return source;
    }

    /** Lower-case hex SHA-256 of the bytes of {@link #source()}. */
    public String contentHash() {
        return contentHash;
    }

    public List<Product> products() {
        return products;
    }

    public List<RejectedRow> rejectedRows() {
        return rejectedRows;
    }

    /** What a search may filter on: brand, color, price, in_stock, and every other column some product has. */
    public SortedSet<String> filterable() {
        return filterable;
    }

    public int size() {
        return products.size();
    }

    /** The row of a product, if the catalog has it. */
    public OptionalInt row(String productId) {
        Integer row = rowById.get(productId);
        return row == null ? OptionalInt.empty() : OptionalInt.of(row);
    }

    /** The product with this id, or null. */
    public Product product(String productId) {
        Integer row = rowById.get(productId);
        return row == null ? null : products.get(row);
    }

    /**
     * This catalog with products replaced or added (upserts, by id: a known product keeps its row,
     * a new one is appended) and others removed; the source and hash stay those of the base file.
     */
    public Catalog withProducts(List<Product> upserts, Collection<String> deletes) {
        List<Product> next = new ArrayList<>(products);
        Map<String, Integer> added = new HashMap<>();
        for (Product p : upserts) {
            Integer row = rowById.get(p.productId());
            if (row == null) {
                row = added.get(p.productId());
            }
            if (row != null) {
                next.set(row, p);
            } else {
                added.put(p.productId(), next.size());
                next.add(p);
            }
        }
        if (!deletes.isEmpty()) {
            Set<String> gone = new HashSet<>(deletes);
            next.removeIf(p -> gone.contains(p.productId()));
        }
        return new Catalog(source, contentHash, next, rejectedRows);
    }
}
