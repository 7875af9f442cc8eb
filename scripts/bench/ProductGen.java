/*
 * Synthetic products for live-update benchmarks, as JSON Lines on stdout: N products with ids
 * PREFIX-1..N, titles of 10-25 words built from the WANDS queries (real furniture and home search
 * phrases) with brands, materials, colours, sizes and features, a price, stock and a category.
 * Deterministic for a seed. Titles are about as long as the ESCI sample's, which is what makes
 * embedding cost realistic; their words are not real products.
 *
 *   java scripts/bench/ProductGen.java N PREFIX [SEED] > products.jsonl
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

public class ProductGen {
    static final String[] BRANDS = {"Oakline", "Brewlab", "Pawsome", "Nightsky", "Keepit", "Lumo", "Hearthwood", "Nordhaven", "Casabella",
        "Urbanest", "Zinus", "Mellow", "Ashford", "Birchlane", "Corliving"};
    static final String[] MATERIALS = {"solid wood", "engineered wood", "metal", "rattan", "velvet", "linen", "leather", "bamboo",
        "marble", "glass", "ceramic", "stainless steel", "cotton", "wool", "acacia"};
    static final String[] COLORS = {"black", "white", "grey", "walnut", "oak", "navy", "green", "beige", "gold", "natural"};
    static final String[] FEATURES = {"with storage", "with drawers", "with USB charging", "easy assembly", "for small spaces",
        "with cushions", "adjustable height", "water resistant", "set of 2", "with wheels", "mid-century modern", "farmhouse style"};

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        String prefix = args[1];
        SplittableRandom r = new SplittableRandom(args.length > 2 ? Long.parseLong(args[2]) : 7);
        List<String> queries = Files.readAllLines(Path.of(System.getProperty("wands", "testdata/wands/queries.csv"))).stream().skip(1)
                .map(l -> l.split(",")[1].replace("\"", "")).filter(q -> !q.isBlank()).toList();
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            String brand = pick(r, BRANDS);
            String query = queries.get(r.nextInt(queries.size()));
            String title = String.join(" ", brand, pick(r, MATERIALS), query, pick(r, FEATURES), "in", pick(r, COLORS),
                    r.nextInt(3) == 0 ? pick(r, FEATURES) + ", " + (20 + r.nextInt(60)) + " inch" : "");
            out.append(String.format(Locale.ROOT,
                    "{\"product_id\":\"%s-%d\",\"title\":\"%s\",\"brand\":\"%s\",\"category\":\"%s\",\"price\":%.2f,\"in_stock\":%s}%n",
                    prefix, i, title.strip(), brand, query.split(" ")[query.split(" ").length - 1], 5 + r.nextDouble() * 995,
                    r.nextInt(10) > 0));
        }
        System.out.print(out);
    }

    static String pick(SplittableRandom r, String[] from) {
        return from[r.nextInt(from.length)];
    }
}
