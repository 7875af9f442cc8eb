package dev.recops.engine.catalog;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A change to a product that needs no new embedding: its price, stock, colour or other
 * attributes, never its title or brand (the text a model embeds).
 *
 * @param attributes attribute values to set; an empty value removes the attribute
 */
public record ProductPatch(String productId, OptionalDouble price, Optional<Boolean> inStock, Optional<String> color,
                           Map<String, String> attributes) {
    public ProductPatch {
        if (Objects.requireNonNull(productId, "productId").isBlank()) {
            throw new IllegalArgumentException("product_id is empty");
        }
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(inStock, "inStock");
        Objects.requireNonNull(color, "color");
        attributes = Map.copyOf(attributes);
        if (price.isPresent() && !(price.getAsDouble() >= 0 && Double.isFinite(price.getAsDouble()))) {
            throw new IllegalArgumentException("price must be a non-negative number");
        }
    }

    /** The product with this patch applied. */
    public Product apply(Product p) {
        Map<String, String> attrs = new HashMap<>(p.attributes());
        attributes.forEach((k, v) -> {
            if (v.isBlank()) {
                attrs.remove(k);
            } else {
                attrs.put(k, v.strip());
            }
        });
        return new Product(p.productId(), p.title(), p.brand(), color.orElse(p.color()), attrs, price.orElse(p.price()),
                inStock.orElse(p.inStock()));
    }
}
