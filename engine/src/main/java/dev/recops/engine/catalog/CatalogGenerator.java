package dev.recops.engine.catalog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Synthetic catalogs for scale work, made from a real one by recombination: each product takes
 * the first words of one real title and the rest of another's (cut at a random word), the brand
 * of a third product and the colour of a fourth, a price drawn from the real prices' range (or
 * 5-500 when there are none), 90% in stock, and a {@code group} attribute with 100 values (a
 * filter on one keeps 1% of the products). Titles so keep the real titles' vocabulary and
 * length, which is what embedding cost and retrieval behaviour depend on; the products are not
 * real. Deterministic for a seed.
 */
public final class CatalogGenerator {
    private final List<Product> real;
    private final List<String> brands;
    private final List<String> colors;

    public CatalogGenerator(Catalog source) {
        this.real = source.products();
        if (real.isEmpty()) {
            throw new IllegalArgumentException("the source catalog has no product");
        }
        this.brands = List.copyOf(distinct(real.stream().map(Product::brand).toList()));
        this.colors = List.copyOf(distinct(real.stream().map(Product::color).toList()));
    }

    private static LinkedHashSet<String> distinct(List<String> values) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        values.stream().filter(v -> !v.isBlank()).forEach(out::add);
        return out;
    }

    /** Product {@code i} (from 1) of the catalog for {@code seed}: the same for the same arguments. */
    public Product product(long seed, int i) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
        String[] head = real.get(r.nextInt(real.size())).title().split("\\s+");
        String[] tail = real.get(r.nextInt(real.size())).title().split("\\s+");
        int cut = 1 + r.nextInt(Math.max(1, Math.min(head.length, tail.length)));
        List<String> words = new ArrayList<>(List.of(head).subList(0, Math.min(cut, head.length)));
        if (cut < tail.length) {
            words.addAll(List.of(tail).subList(cut, tail.length));
        }
        String brand = brands.isEmpty() ? "" : brands.get(r.nextInt(brands.size()));
        String color = colors.isEmpty() || r.nextInt(3) == 0 ? "" : colors.get(r.nextInt(colors.size()));
        double price = Math.round((5 + Math.pow(r.nextDouble(), 2) * 495) * 100) / 100.0;
        return new Product(String.format(Locale.ROOT, "GEN-%07d", i), String.join(" ", words), brand, color,
                Map.of("group", String.format(Locale.ROOT, "g%02d", r.nextInt(100))), price, r.nextInt(10) != 0);
    }

    /** Writes products 1..n as JSON Lines. */
    public void write(long seed, int n, Writer out) {
        try (BufferedWriter w = new BufferedWriter(out, 1 << 16)) {
            for (int i = 1; i <= n; i++) {
                w.write(CatalogLoader.toJson(product(seed, i)).toString());
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
