package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.Product;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code recops catalog}: live product updates of a running server through its admin API, and catalog batch jobs. */
@Command(
        name = "catalog",
        mixinStandardHelpOptions = true,
        subcommands = {CatalogEmbedCommand.class, CatalogGenerateCommand.class},
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
    int upsert(@Mixin AdminOptions admin, @Mixin OutputOptions output,
            @Parameters(paramLabel = "FILE", description = "Products, .csv or .jsonl.") Path file) {
        if (!Files.isRegularFile(file)) {
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
    int delete(@Mixin AdminOptions admin, @Mixin OutputOptions output,
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
    int patch(@Mixin AdminOptions admin, @Mixin OutputOptions output,
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
            throw new CommandLine.ParameterException(spec.commandLine(), "nothing to change: give --price, --in-stock or --set");
        }
        JsonNode r = admin.client().call("PATCH", "catalog/products", line + "\n", "application/x-ndjson", Duration.ofMinutes(1));
        print(output, r, r.path("changed").asInt() == 0 ? "product " + id + " already had these values"
                : "patched product " + id + "; " + r.path("products").asInt() + " products served");
        return ExitCodes.OK;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Products served, the journal (where, how many changes since its last compaction) and the embedding backlog.")
    int status(@Mixin AdminOptions admin, @Mixin OutputOptions output) {
        JsonNode r = admin.client().call("GET", "catalog", Duration.ofSeconds(10));
        JsonNode j = r.path("journal");
        print(output, r, String.format("%d products served; embedding backlog %d; journal %s", r.path("products").asInt(),
                r.path("embedding_backlog").asLong(), j.isObject()
                        ? j.path("dir").asText() + " (generation " + j.path("generation").asInt() + ", " + j.path("changes").asLong()
                                + " changes of " + j.path("products").asLong() + " products since the last compaction)"
                        : "off: updates last until the server stops"));
        return ExitCodes.OK;
    }

    private void print(OutputOptions output, JsonNode json, String text) {
        output.print(spec.commandLine().getOut(), json, text);
    }
}
