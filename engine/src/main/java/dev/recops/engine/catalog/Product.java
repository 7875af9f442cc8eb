package dev.recops.engine.catalog;

import java.util.Objects;

/**
 * One catalog product. Empty strings stand for absent optional fields.
 *
 * @param productId unique, non-blank identifier (an ASIN in the ESCI data)
 * @param title non-blank product title
 * @param brand brand, possibly empty
 * @param color colour, possibly empty
 */
public record Product(String productId, String title, String brand, String color) {
    public Product {
        if (Objects.requireNonNull(productId, "productId").isBlank()) {
            throw new IllegalArgumentException("product_id is empty");
        }
        if (Objects.requireNonNull(title, "title").isBlank()) {
            throw new IllegalArgumentException("title is empty");
        }
        brand = Objects.requireNonNullElse(brand, "");
        color = Objects.requireNonNullElse(color, "");
    }

    /** The text a model embeds for this product: {@code title | brand}, or the title alone. */
    public String embeddingText() {
        return brand.isBlank() ? title : title + " | " + brand;
    }
}
