package dev.recops.engine.catalog;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.Locale;
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

    /**
     * A patch as the admin API takes it, one JSON object: {@code product_id}, then {@code price}
     * (a number), {@code in_stock} (a boolean), {@code color} or any other attribute (a string,
     * number or boolean; null or empty removes it). Title and brand are embedded, so they are refused.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static ProductPatch fromJson(JsonNode line) {
        if (line == null || !line.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String id = line.path("product_id").asText("");
        OptionalDouble price = OptionalDouble.empty();
        Optional<Boolean> inStock = Optional.empty();
        Optional<String> color = Optional.empty();
        Map<String, String> attributes = new HashMap<>();
        for (var f : line.properties()) {
            String name = f.getKey().strip().toLowerCase(Locale.ROOT);
            JsonNode v = f.getValue();
            switch (name) {
                case "product_id" -> { }
                case "title", "brand" -> throw new IllegalArgumentException(name + " is embedded: upsert the whole product to change it");
                case "price" -> {
                    if (!v.isNumber()) {
                        throw new IllegalArgumentException("price must be a number");
                    }
                    price = OptionalDouble.of(v.asDouble());
                }
                case "in_stock" -> {
                    if (!v.isBoolean()) {
                        throw new IllegalArgumentException("in_stock must be true or false");
                    }
                    inStock = Optional.of(v.asBoolean());
                }
                case "color" -> color = Optional.of(v.isNull() ? "" : v.asText().strip());
                default -> {
                    if (v.isContainerNode()) {
                        throw new IllegalArgumentException(name + " must be a string, number or boolean");
                    }
                    if (!name.matches("[a-z0-9_]{1,64}")) {
                        throw new IllegalArgumentException("attribute names are lower-case letters, digits and '_'");
                    }
                    attributes.put(name, v.isNull() ? "" : v.asText());
                }
            }
        }
        if (id.isBlank()) {
            throw new IllegalArgumentException("product_id is missing");
        }
        return new ProductPatch(id.strip(), price, inStock, color, attributes);
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
