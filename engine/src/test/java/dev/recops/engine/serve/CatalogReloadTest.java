package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.TestData;
import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.telemetry.AccessLog;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /admin/v1/catalog/reload}: a good file is swapped in; a missing or corrupt one changes nothing. */
class CatalogReloadTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static Path dir;
    private static Path catalog;
    private static List<String> original;
    private static SearchService service;
    private static ServeServer server;
    private static AdminServer admin;
    private static String token;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("recops-catalog");
        Path repo = dir.resolve("models/search-encoder/1");
        Files.createDirectories(repo);
        try (var files = Files.list(TestData.models().resolve("search-encoder/1"))) {
            for (Path f : files.toList()) {
                Files.copy(f, repo.resolve(f.getFileName()));
            }
        }
        original = Files.readAllLines(TestData.esciProducts());
        catalog = Files.write(dir.resolve("products.csv"), original.subList(0, 121)); // header + 120 products
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("models"), "search-encoder", "1", catalog,
                Optional.of(dir.resolve("cache")), 2, 1, OptionalInt.empty(), Optional.empty(), 256, Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, metrics, ServeListener.NONE);
        server = ServeServer.start("127.0.0.1", 0, service, metrics, Duration.ofSeconds(5), AccessLog.DISABLED);
        BearerToken tokens = BearerToken.open(dir.resolve("admin-token"));
        token = Files.readString(dir.resolve("admin-token")).strip();
        admin = AdminServer.start("127.0.0.1", 0, service, tokens, AuditLog.open(Optional.empty()), metrics, false);
        service.load();
    }

    @AfterAll
    static void stop() {
        admin.close();
        server.close();
        service.close();
    }

    private static HttpResponse<String> reload() throws Exception {
        return reload("");
    }

    private static HttpResponse<String> reload(String query) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/admin/v1/catalog/reload" + query))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int search() throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/search"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"desk lamp\", \"k\": 3}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void aMissingOrCorruptCatalogIsRefusedAndTheOldOneKeepsServingThenAGoodOneIsSwappedIn() throws Exception {
        assertThat(service.catalogSize()).isEqualTo(120);

        Files.writeString(catalog, "\u0000\u0001 not a catalog \u00ff\n");
        HttpResponse<String> corrupt = reload();
        assertThat(corrupt.statusCode()).isEqualTo(400);
        JsonNode error = new ObjectMapper().readTree(corrupt.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_catalog");
        assertThat(service.catalogSize()).isEqualTo(120);
        assertThat(search()).isEqualTo(200);

        Files.delete(catalog);
        HttpResponse<String> missing = reload();
        assertThat(missing.statusCode()).isEqualTo(503);
        assertThat(missing.body()).contains("catalog_missing", "not found");
        assertThat(search()).isEqualTo(200);

        Files.write(catalog, original.subList(0, 201)); // 200 products
        HttpResponse<String> good = reload();
        assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(good.body()).path("products").asInt()).isEqualTo(200);
        assertThat(service.catalogSize()).isEqualTo(200);
        assertThat(search()).isEqualTo(200);

        Files.write(catalog, original.subList(0, 51)); // 50 products: a half-copied file, likely
        HttpResponse<String> shrunk = reload();
        assertThat(shrunk.statusCode()).isEqualTo(409);
        assertThat(shrunk.body()).contains("catalog_shrunk", "50 products, fewer than half of the 200 served");
        assertThat(service.catalogSize()).isEqualTo(200);
        assertThat(reload("?force=true").statusCode()).isEqualTo(200);
        assertThat(service.catalogSize()).isEqualTo(50);
    }
}
