package dev.recops.engine.catalog;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Product filters, all of which must hold: exact matches on attributes (brand, color or any
 * other catalog column; case ignored), a price range, and stock. Applied inside retrieval:
 * the {@code k} results are the best of the products that match, never fewer because the best
 * overall did not.
 *
 * @param equal attribute name to the value it must have (lower case)
 * @param minPrice lowest price, inclusive (0 for none)
 * @param maxPrice highest price, inclusive (infinity for none); a price filter excludes products without a price
 * @param stock whether a product must be in stock, out of it, or either
 */
public record ProductFilter(Map<String, String> equal, double minPrice, double maxPrice, Stock stock) {
    public static final ProductFilter NONE = new ProductFilter(Map.of(), 0, Double.POSITIVE_INFINITY, Stock.ANY);

    public enum Stock { ANY, IN_STOCK, OUT_OF_STOCK }

    public ProductFilter {
        Map<String, String> lowered = new TreeMap<>();
        equal.forEach((k, v) -> lowered.put(k, v.strip().toLowerCase(Locale.ROOT)));
        equal = Collections.unmodifiableMap(lowered);
        if (!(minPrice >= 0) || !(maxPrice >= minPrice)) {
            throw new IllegalArgumentException("the price range must have 0 <= min <= max");
        }
        Objects.requireNonNull(stock, "stock");
    }

    /** The attribute names this filter uses, to check against the catalog's. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>(equal.keySet());
        if (minPrice > 0 || maxPrice < Double.POSITIVE_INFINITY) {
            names.add("price");
        }
        if (stock != Stock.ANY) {
            names.add("in_stock");
        }
        return names;
    }

    public boolean matches(Product p) {
        for (Map.Entry<String, String> e : equal.entrySet()) {
            if (!e.getValue().equals(p.attribute(e.getKey()).toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        if ((minPrice > 0 || maxPrice < Double.POSITIVE_INFINITY) && !(p.price() >= minPrice && p.price() <= maxPrice)) {
            return false;
        }
        return stock == Stock.ANY || p.inStock() == (stock == Stock.IN_STOCK);
    }
}
