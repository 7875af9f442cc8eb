package dev.recops.engine.catalog;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A loaded catalog.
 *
 * @param source the file it was read from
 * @param contentHash lower-case hex SHA-256 of the file's bytes: the embedding cache key
 * @param products the valid products, in file order, unique by id
 * @param rejectedRows rows that could not be used, each with its line number and reason
 * @param filterable what a search may filter on: brand, color, price, in_stock, and every other
 *     column some product has
 */
public record Catalog(Path source, String contentHash, List<Product> products, List<RejectedRow> rejectedRows,
                      java.util.SortedSet<String> filterable) {

    /** A catalog row that was not loaded, and why. */
    public record RejectedRow(int line, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    public Catalog {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(contentHash, "contentHash");
        products = List.copyOf(products);
        rejectedRows = List.copyOf(rejectedRows);
        filterable = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(filterable));
    }

    public Catalog(Path source, String contentHash, List<Product> products, List<RejectedRow> rejectedRows) {
        this(source, contentHash, products, rejectedRows, filterableOf(products));
    }

    private static java.util.SortedSet<String> filterableOf(List<Product> products) {
        java.util.SortedSet<String> names = new java.util.TreeSet<>(List.of("brand", "color", "price", "in_stock"));
        products.forEach(p -> names.addAll(p.attributes().keySet()));
        return names;
    }

    public int size() {
        return products.size();
    }
}
