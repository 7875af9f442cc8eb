package dev.recops.cli;

import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.serve.AdminServer;
import dev.recops.engine.serve.Queries;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServiceSetup;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/** recops catalog against a server in this JVM: upsert a CSV, patch, delete, status, and the refusals. */
@Tag("command")
class CatalogCommandTest {
    private static final Path MODELS = Path.of(System.getProperty("recops.defaultModels"));
    private static final Path TESTDATA = Path.of(System.getProperty("recops.testdata"));
    private static Path dir;
    private static SearchService service;
    private static AdminServer admin;
    private static String adminUrl;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("recops-catalog-cmd");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, MODELS, "search-encoder", "1", TESTDATA.resolve("esci/products.csv"),
                Optional.of(dir.resolve("cache")), 1, 1, OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, ServiceSetup.DEFAULT.withJournal(dev.recops.engine.catalog.CatalogJournal.open(dir.resolve("journal"))),
                metrics, ServeListener.NONE);
        service.load();
        admin = AdminServer.start("127.0.0.1", 0, service, BearerToken.open(dir.resolve("token")), AuditLog.open(Optional.empty()),
                metrics, false);
        adminUrl = "http://127.0.0.1:" + admin.port();
    }

    @AfterAll
    static void stop() {
        admin.close();
        service.close();
    }

    private static CommandResult catalog(String... args) {
        List<String> all = new ArrayList<>(List.of("catalog"));
        all.addAll(List.of(args));
        all.addAll(List.of("--admin-url", adminUrl, "--admin-token-file", dir.resolve("token").toString()));
        return CommandResult.run(all.toArray(String[]::new));
    }

    private static List<String> search(String query) {
        return service.search(new Queries.Search(query, 3, ProductFilter.NONE, Queries.Target.PRIMARY),
                System.nanoTime() + Duration.ofSeconds(10).toNanos()).results().stream().map(Queries.Result::productId).toList();
    }

    @Test
    void upsertPatchDeleteAndStatusChangeTheServedCatalog() throws IOException {
        Path csv = Files.writeString(dir.resolve("new.csv"), """
                product_id,title,brand,price,in_stock,category
                NEW-1,"Zorblax titanium camping spork, with carabiner",Zorblax,12.50,yes,outdoor
                NEW-2,Handmade walnut chess board with magnetic pieces,Oakline,89,true,games
                """);
        CommandResult up = catalog("upsert", csv.toString());
        assertThat(up.exitCode()).as(up.err()).isZero();
        assertThat(up.out()).contains("upserted 2 products: 2 changed, 4 texts embedded; 487 products served");
        assertThat(search("titanium camping spork")).first().isEqualTo("NEW-1");

        CommandResult patch = catalog("patch", "NEW-1", "--price", "9.99", "--in-stock", "false", "--set", "category=camping");
        assertThat(patch.exitCode()).as(patch.err()).isZero();
        assertThat(patch.out()).contains("patched product NEW-1");
        CommandResult delete = catalog("delete", "NEW-2", "NOPE", "--format", "json");
        assertThat(delete.exitCode()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("\"changed\" : 1", "\"NOPE\"");
        CommandResult status = catalog("status");
        assertThat(status.out()).contains("486 products served", "embedding backlog 0", "generation 0, 3 changes");
    }

    @Test
    void badInputIsOneLineAndExitTwoAndChangesNothing() throws IOException {
        int before = service.catalogSize();
        Path bad = Files.writeString(dir.resolve("bad.csv"), "product_id,title,price\nOK-1,Fine product,3\nBAD-1,,4\nBAD-2,Priced,cheap\n");
        CommandResult r = catalog("upsert", bad.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("line 3", "line 4", "nothing was sent").doesNotContain("\tat ");
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(catalog("upsert", dir.resolve("missing.csv").toString()).exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        CommandResult unknown = catalog("patch", "NO-SUCH", "--price", "1");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("no product NO-SUCH");
        assertThat(catalog("patch", "NO-SUCH").exitCode()).as("nothing to change").isEqualTo(ExitCodes.USAGE);
        assertThat(service.catalogSize()).isEqualTo(before);
    }

    @Test
    void embedWritesAShardFileAResumedRunCompletesAndBadShardsAreRefused() throws IOException {
        Path small = dir.resolve("small.jsonl");
        Files.writeString(small, """
                {"product_id": "S1", "title": "Walnut chess board", "brand": "Oakline"}
                {"product_id": "S2", "title": "Titanium camping spork", "brand": "Zorblax"}
                {"product_id": "S3", "title": "Ergonomic office chair", "brand": "Sitwell"}
                {"product_id": "S4", "title": "Stainless steel water bottle", "brand": "Hydro"}
                """);
        Path out = dir.resolve("embedded");
        List<String> base = List.of("catalog", "embed", small.toString(), "--out", out.toString(), "--model-repo", MODELS.toString(),
                "--model-version", "1", "--threads", "1");
        List<String> args = new ArrayList<>(base);
        args.addAll(List.of("--shard", "2/2", "--format", "json"));
        CommandResult r = CommandResult.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"shard\" : \"2/2\"", "\"already_embedded\" : 0");
        try (var files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).singleElement().asString()
                    .startsWith("search-encoder-1-").endsWith(".shard-2-of-2.vec");
        }
        CommandResult again = CommandResult.run(args.toArray(String[]::new));
        assertThat(again.out()).contains("\"embedded\" : 0");

        List<String> bad = new ArrayList<>(base);
        bad.addAll(List.of("--shard", "3/2"));
        CommandResult refused = CommandResult.run(bad.toArray(String[]::new));
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains("--shard must be I/N");
        assertThat(refused.err().strip().lines().count()).isEqualTo(1);
    }
}
