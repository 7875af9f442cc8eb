package dev.recops.engine.catalog;

import java.util.Map;
import java.util.Objects;

/**
 * One catalog product. Empty strings stand for absent optional fields.
 *
 * @param productId unique, non-blank identifier (an ASIN in the ESCI data)
 * @param title non-blank product title
 * @param brand brand, possibly empty
 * @param color colour, possibly empty
 * @param attributes every other column (category, size, ...) by lower-case name, for exact-match
 *     filters; long text (bullet_points, description) is not kept
 * @param price the price, non-negative; NaN when the catalog gives none
 * @param inStock false only when the catalog says so
 */
public record Product(String productId, String title, String brand, String color, Map<String, String> attributes, double price,
                      boolean inStock) {
    public Product {
        if (Objects.requireNonNull(productId, "productId").isBlank()) {
            throw new IllegalArgumentException("product_id is empty");
        }
        if (Objects.requireNonNull(title, "title").isBlank()) {
            throw new IllegalArgumentException("title is empty");
        }
        brand = Objects.requireNonNullElse(brand, "");
        color = Objects.requireNonNullElse(color, "");
        attributes = Map.copyOf(attributes);
        if (price < 0 || Double.isInfinite(price)) {
            throw new IllegalArgumentException("price must be a non-negative number");
        }
    }

    /** A product with no attributes, price or stock information. */
    public Product(String productId, String title, String brand, String color) {
        this(productId, title, brand, color, Map.of(), Double.NaN, true);
    }

    /** The value of a filterable attribute ({@code brand}, {@code color} or another column); empty when absent. */
    public String attribute(String name) {
        return switch (name) {
            case "brand" -> brand;
            case "color" -> color;
            default -> attributes.getOrDefault(name, "");
        };
    }

    /** The text a model embeds for this product: {@code title | brand}, or the title alone. */
    public String embeddingText() {
        return brand.isBlank() ? title : title + " | " + brand;
    }
}
