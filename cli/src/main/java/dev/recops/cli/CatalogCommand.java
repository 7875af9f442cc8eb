package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.Product;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code recops catalog}: live product updates of a running server through its admin API, and catalog batch jobs. */
@Command(
        name = "catalog",
        mixinStandardHelpOptions = true,
        description = {
            "Change a running server's catalog product by product, while it serves: upsert (add or replace whole products; "
                    + "new and changed titles are embedded by every loaded version, at a lower priority than queries), delete, "
                    + "patch (price, stock and other attributes that need no embedding: at once), and status. Every change is "
                    + "journaled by the server, so a restart keeps it, and audited. Also: embed (a catalog's vectors as a batch job, "
                    + "shardable across machines) and generate (a synthetic catalog for scale tests).",
            ""
        })
final class CatalogCommand {
    /** Products per request: an upsert call is atomic, and a server takes bodies up to 64 MiB. */
    static final int CHUNK = 10_000;

    @Spec
    CommandSpec spec;

    @Command(name = "upsert", mixinStandardHelpOptions = true,
            description = "Add or replace the products of FILE (CSV with a header, or JSON Lines: the catalog's columns). "
                    + "Every row is checked first; one bad row changes nothing (exit 2). Returns when they are searchable.")
    int upsert(@Mixin ModelCommand.AdminOptions admin, @Mixin OutputOptions output,
            @Parameters(paramLabel = "FILE", description = "Products, .csv or .jsonl.") Path file) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new RecopsException.PreconditionFailed("file_missing", file + " not found");
        }
        Catalog products = CatalogLoader.load(file);
        if (!products.rejectedRows().isEmpty()) {
            throw new RecopsException.InvalidInput("invalid_products", file + ": " + products.rejectedRows().size()
                    + " row(s) rejected, nothing was sent: " + String.join("; ", products.rejectedRows().stream().limit(5).map(Object::toString).toList()));
        }
        AdminClient client = admin.client();
        int changed = 0;
        int embedded = 0;
        JsonNode last = null;
        for (int from = 0; from < products.size(); from += CHUNK) {
            StringBuilder body = new StringBuilder();
            for (Product p : products.products().subList(from, Math.min(products.size(), from + CHUNK))) {
                body.append(CatalogLoader.toJson(p)).append('\n');
            }
            last = client.call("POST", "catalog/products", body.toString(), "application/x-ndjson", Duration.ofMinutes(30));
            changed += last.path("changed").asInt();
            embedded += last.path("embedded").asInt();
        }
        ObjectNode summary = JsonNodeFactory.instance.objectNode().put("op", "upsert").put("requested", products.size())
                .put("changed", changed).put("embedded", embedded).put("products", last.path("products").asInt());
        print(output, summary, String.format("upserted %d products: %d changed, %d texts embedded; %d products served",
                products.size(), changed, embedded, last.path("products").asInt()));
        return ExitCodes.OK;
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Remove products by id, at once. Ids the catalog does not have are listed, not an error.")
    int delete(@Mixin ModelCommand.AdminOptions admin, @Mixin OutputOptions output,
            @Parameters(paramLabel = "ID", arity = "1..*") List<String> ids) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ids.forEach(body.putArray("product_ids")::add);
        JsonNode r = admin.client().call("DELETE", "catalog/products", body.toString(), Duration.ofMinutes(5));
        List<String> missing = new ArrayList<>();
        r.path("not_found").forEach(n -> missing.add(n.asText()));
        print(output, r, String.format("deleted %d of %d products%s; %d products served", r.path("changed").asInt(), ids.size(),
                missing.isEmpty() ? "" : " (not in the catalog: " + String.join(", ", missing) + ")", r.path("products").asInt()));
        return ExitCodes.OK;
    }

    @Command(name = "patch", mixinStandardHelpOptions = true,
            description = "Change what needs no embedding, at once: price, stock, colour, other attributes. "
                    + "Title and brand are embedded: change them with upsert.")
    int patch(@Mixin ModelCommand.AdminOptions admin, @Mixin OutputOptions output,
            @Parameters(paramLabel = "ID") String id,
            @Option(names = "--price", paramLabel = "PRICE", description = "The new price.") Double price,
            @Option(names = "--in-stock", paramLabel = "true|false", arity = "1", description = "Whether it is in stock.") Boolean inStock,
            @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Set an attribute (repeatable; an empty VALUE removes it).")
            Map<String, String> set) {
        ObjectNode line = JsonNodeFactory.instance.objectNode().put("product_id", id);
        if (price != null) {
            line.put("price", price);
        }
        if (inStock != null) {
            line.put("in_stock", inStock);
        }
        if (set != null) {
            set.forEach(line::put);
        }
        if (line.size() == 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "nothing to change: give --price, --in-stock or --set");
        }
        JsonNode r = admin.client().call("PATCH", "catalog/products", line + "\n", "application/x-ndjson", Duration.ofMinutes(1));
        print(output, r, r.path("changed").asInt() == 0 ? "product " + id + " already had these values"
                : "patched product " + id + "; " + r.path("products").asInt() + " products served");
        return ExitCodes.OK;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Products served, the journal (where, how many changes since its last compaction) and the embedding backlog.")
    int status(@Mixin ModelCommand.AdminOptions admin, @Mixin OutputOptions output) {
        JsonNode r = admin.client().call("GET", "catalog", Duration.ofSeconds(10));
        JsonNode j = r.path("journal");
        print(output, r, String.format("%d products served; embedding backlog %d; journal %s", r.path("products").asInt(),
                r.path("embedding_backlog").asLong(), j.isObject()
                        ? j.path("dir").asText() + " (generation " + j.path("generation").asInt() + ", " + j.path("changes").asLong()
                                + " changes of " + j.path("products").asLong() + " products since the last compaction)"
                        : "off: updates last until the server stops"));
        return ExitCodes.OK;
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Write a synthetic catalog of N products (JSON Lines) for scale tests, recombined from a real catalog: "
                    + "each title joins the start of one real title to the end of another; brand, colour, price and stock are drawn "
                    + "from the real ones; a 'group' attribute of 100 values gives a 1%% filter. Deterministic for a seed. "
                    + "The products are not real: judge quality on real judgments, speed and recall on these.")
    int generate(@Mixin OutputOptions output,
            @Parameters(paramLabel = "N", description = "Products to write.") int n,
            @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write (JSON Lines).") Path out,
            @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed,
            @Option(names = "--from", paramLabel = "CATALOG", defaultValue = "${sys:recops.home:-.}/catalog/products.csv",
                    description = "The real catalog to recombine (default: the ESCI sample shipped).") Path from) {
        if (n < 1 || n > 100_000_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "N must be in 1..100000000");
        }
        long start = System.nanoTime();
        try (java.io.Writer w = java.nio.file.Files.newBufferedWriter(out)) {
            new dev.recops.engine.catalog.CatalogGenerator(CatalogLoader.load(from)).write(seed, n, w);
        } catch (java.io.IOException e) {
            throw new RecopsException.PreconditionFailed("file_unwritable", "cannot write " + out + ": " + e.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        print(output, JsonNodeFactory.instance.objectNode().put("products", n).put("file", out.toString()).put("seed", seed)
                .put("seconds", seconds), String.format(java.util.Locale.ROOT, "wrote %d synthetic products to %s in %.1f s (seed %d)", n, out,
                seconds, seed));
        return ExitCodes.OK;
    }

    @Command(name = "embed", mixinStandardHelpOptions = true,
            description = "Embed a catalog for serve, as a batch job away from the serving cores: writes the model's vectors in the "
                    + "embedding-cache format to --out, appending as it goes, so a job run again after an interruption embeds only "
                    + "what is missing. With --shard I/N it embeds only the products of shard I (by a hash of the product id) into "
                    + "its own file; run the N shards on N machines, copy their files into serve's --cache-dir, and serve's first "
                    + "start builds the index from them without embedding (texts it finds in no file are embedded then). "
                    + "Progress and ETA go to standard error.")
    int embed(@Mixin OutputOptions output,
            @Parameters(paramLabel = "CATALOG", description = "The catalog serve will load: CSV or JSON Lines, .gz too.") Path catalogFile,
            @Option(names = "--out", paramLabel = "DIR",
                    defaultValue = "${sys:recops.cache:-${sys:user.home}/.cache/recops}/embeddings",
                    description = "Where to write: serve's --cache-dir, or a directory to copy there (default: serve's default cache, "
                            + "$XDG_CACHE_HOME/recops/embeddings, else ~/.cache/recops/embeddings).") Path out,
            @Option(names = "--model-repo", paramLabel = "DIR", defaultValue = "${sys:recops.home:-.}/models",
                    description = "Model repository (default: the one shipped).") Path modelRepo,
            @Option(names = "--model", paramLabel = "NAME", defaultValue = "",
                    description = "Model (default: the repository's only model, or search-encoder).") String model,
            @Option(names = "--model-version", paramLabel = "V", defaultValue = "",
                    description = "Version to embed with (default: the highest).") String modelVersion,
            @Option(names = "--shard", paramLabel = "I/N", defaultValue = "1/1",
                    description = "Embed only shard I of N (default: ${DEFAULT-VALUE}, everything).") String shard,
            @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                    description = "ONNX Runtime threads per batch (default: every core).") int threads) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})/(\\d{1,6})").matcher(shard);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--shard must be I/N with 1 <= I <= N, not " + shard);
        }
        if (threads < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        int index = Integer.parseInt(m.group(1));
        int count = Integer.parseInt(m.group(2));
        String name = model.isEmpty() ? dev.recops.engine.model.ModelRepository.defaultModel(modelRepo) : model;
        List<dev.recops.engine.model.ModelVersion> versions = new dev.recops.engine.model.ModelRepository(modelRepo).scan().versionsOf(name);
        dev.recops.engine.model.ModelVersion version = (modelVersion.isEmpty()
                ? versions.stream().reduce((lower, higher) -> higher) // the scan lists versions in order
                : versions.stream().filter(v -> v.version().equals(modelVersion)).findFirst())
                .orElseThrow(() -> new RecopsException.PreconditionFailed("version_missing", "no usable version "
                        + (modelVersion.isEmpty() ? "" : modelVersion + " ") + "of model " + name + " in " + modelRepo));
        Catalog catalog = CatalogLoader.load(catalogFile);
        long start = System.nanoTime();
        java.io.Console console = System.console();
        ProgressLine progress = new ProgressLine(spec.commandLine().getErr(), console != null && console.isTerminal());
        dev.recops.engine.catalog.CatalogIndex.ShardReport r;
        try (dev.recops.engine.model.TextEncoder encoder = dev.recops.engine.model.TextEncoder.load(version,
                threads == 0 ? Runtime.getRuntime().availableProcessors() : threads)) {
            r = dev.recops.engine.catalog.CatalogIndex.embedShard(catalog, encoder, out, index, count,
                    (done, total) -> progress.update(version.id() + ": embedding shard " + shard, "texts", done, total));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        print(output, JsonNodeFactory.instance.objectNode().put("version", version.id()).put("shard", shard).put("products", r.products())
                .put("texts", r.texts()).put("already_embedded", r.alreadyEmbedded()).put("embedded", r.embedded())
                .put("seconds", seconds).put("texts_per_second", r.embedded() / Math.max(seconds, 1e-9)).put("file", r.file().toString()),
                String.format(java.util.Locale.ROOT, "%s: shard %s: %d products, %d texts: %d embedded in %.1f s (%.0f texts/s), %d already "
                        + "in %s", version.id(), shard, r.products(), r.texts(), r.embedded(), seconds, r.embedded() / Math.max(seconds, 1e-9),
                        r.alreadyEmbedded(), r.file()));
        return ExitCodes.OK;
    }

    private void print(OutputOptions output, JsonNode json, String text) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(output.json() ? json.toPrettyString() : text);
        out.flush();
    }
}
