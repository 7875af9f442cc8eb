package dev.recops.cli;

import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.Product;
import dev.recops.engine.load.QueryFile;
import dev.recops.engine.load.Workload;
import dev.recops.engine.serve.ServeOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What bench sends: the queries, how they are picked, the endpoint mix and the request's details. */
final class WorkloadOptions {
    enum Order { sequential, zipf }

    @Option(names = "--queries", paramLabel = "FILE",
            description = "Query texts: CSV with a 'query' column, JSON Lines with \"query\", or one per line; repeatable "
                    + "(default: the WANDS and ESCI queries shipped).")
    List<Path> queryFiles = new ArrayList<>();

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "sequential",
            description = "How queries are picked: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Order order;

    @Option(names = "--zipf-exponent", paramLabel = "S", defaultValue = "1.0", description = "Skew of --order zipf (default: ${DEFAULT-VALUE}).")
    double zipfExponent;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--mix", paramLabel = "MIX", defaultValue = "search=100",
            description = "Endpoints and weights, e.g. search=80,recommend=20; endpoints: search, recommend, embed, v2 (KServe infer), "
                    + "template (POST --body-template to --path), get (GET --path) (default: ${DEFAULT-VALUE}).")
    String mix;

    @Option(names = "--k", paramLabel = "K", defaultValue = "10", description = "Results per search or recommend request (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--model-version", paramLabel = "VERSION", defaultValue = "",
            description = "Ask for this model version in every request (default: the server's primary).")
    String version;

    @Option(names = "--body-template", paramLabel = "FILE",
            description = "JSON body for the 'template' endpoint, with {{query}} where the query goes as a JSON string.")
    Path bodyTemplate;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/v1/search", description = "Request path of the 'template' and 'get' endpoints (default: ${DEFAULT-VALUE}).")
    String templatePath;

    @Option(names = "--header", paramLabel = "'NAME: VALUE'", description = "Extra request header; repeatable.")
    List<String> headers = new ArrayList<>();

    Workload.Spec spec(ServeOptions engineOptions) {
        List<Path> files = queryFiles.isEmpty()
                ? List.of(Path.of(System.getProperty("recops.home", "."), "queries", "wands.csv"),
                        Path.of(System.getProperty("recops.home", "."), "queries", "esci.csv"))
                : queryFiles;
        List<String> queries = files.stream().flatMap(f -> QueryFile.read(f).stream()).toList();
        List<String> productIds = mix.contains("recommend")
                ? CatalogLoader.load(engineOptions.catalog()).products().stream().map(Product::productId).toList()
                : List.of();
        return new Workload.Spec(queries, Workload.parseMix(mix), k, version, engineOptions.model(), productIds,
                Optional.ofNullable(bodyTemplate).map(Workload::readTemplate), templatePath, headers,
                order == Order.zipf ? Workload.Order.ZIPF : Workload.Order.SEQUENTIAL, zipfExponent, seed);
    }
}
