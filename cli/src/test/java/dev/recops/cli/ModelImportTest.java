package dev.recops.cli;

import dev.recops.engine.catalog.ProductFilter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.serve.Queries;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every sentence encoder Maven Central ships here (langchain4j's jars of Xenova's ONNX exports),
 * imported from its jar with {@code recops model import} alone, no hand-written manifest, then
 * served and searched.
 */
@Tag("command")
class ModelImportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TESTDATA = Path.of(System.getProperty("recops.testdata"));

    @TempDir
    Path dir;

    /** The jar's ONNX file and tokenizer, as a user would have them on disk. */
    private Path[] export(String stem) throws IOException {
        Path onnx = dir.resolve(stem + ".onnx");
        Path tokenizer = dir.resolve(stem + "-tokenizer.json");
        for (Path p : new Path[] {onnx, tokenizer}) {
            try (InputStream in = ModelImportTest.class.getClassLoader().getResourceAsStream(p.getFileName().toString())) {
                assertThat(in).as(p.getFileName() + " on the test class path (a langchain4j jar)").isNotNull();
                Files.copy(in, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return new Path[] {onnx, tokenizer};
    }

    private JsonNode importAs(String stem, String name, String... flags) throws IOException {
        Path[] files = export(stem);
        List<String> args = new ArrayList<>(List.of("model", "import", files[0].toString(), files[1].toString(), "--repo",
                dir.resolve("repo").toString(), "--name", name, "--format", "json"));
        args.addAll(List.of(flags));
        CommandResult r = CommandResult.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    /**
     * The ESCI sample's chairs and every tenth other product (80 of 485): chairs to find among
     * others, for a sixth of the embedding each of the four encoders would spend on the whole.
     */
    private Path chairsAndOthers() throws IOException {
        List<String> lines = Files.readAllLines(TESTDATA.resolve("esci/products.csv"));
        List<String> kept = new ArrayList<>(List.of(lines.getFirst()));
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).toLowerCase(java.util.Locale.ROOT).contains("chair") || i % 10 == 0) {
                kept.add(lines.get(i));
            }
        }
        return Files.write(dir.resolve("chairs-and-others.csv"), kept);
    }

    private SearchService serve(String name, Path catalog) {
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("repo"), name, "", catalog, Optional.empty(), 1, 1,
                OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(30));
        SearchService service = new SearchService(options, new ServerMetrics(), ServeListener.NONE);
        service.load();
        return service;
    }

    private static List<String> titles(SearchService service, String query, int k) {
        return service.search(new Queries.Search(query, k, ProductFilter.NONE, Queries.Target.PRIMARY),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30)).results().stream().map(Queries.Result::title).toList();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "all-minilm-l6-v2   | mean | ''        | ''",
        "all-minilm-l6-v2-q | mean | ''        | ''",
        "bge-small-en-v1.5-q | cls | ''        | ''",
        "e5-small-v2-q      | mean | 'query: ' | 'passage: '"})
    void eachEnglishEncoderIsImportedFromItsJarServedAndFindsChairs(String stem, String pooling, String queryPrefix, String documentPrefix)
            throws IOException {
        List<String> flags = new ArrayList<>(List.of("--pooling", pooling));
        if (!queryPrefix.isEmpty()) {
            flags.addAll(List.of("--query-prefix", queryPrefix, "--document-prefix", documentPrefix));
        }
        JsonNode imported = importAs(stem, "encoder", flags.toArray(String[]::new));
        assertThat(imported.path("version").asText()).isEqualTo("1");
        assertThat(imported.path("decisions").toString()).contains("dimension: 384", "verified")
                .as("tensors as a person reads them").contains("float [?, ?, 384]").doesNotContain("TensorInfo");
        JsonNode manifest = JSON.readTree(dir.resolve("repo/encoder/1/model.json").toFile());
        assertThat(manifest.path("pooling").asText()).isEqualTo(pooling);
        assertThat(manifest.path("query_prefix").asText("")).isEqualTo(queryPrefix);
        try (SearchService service = serve("encoder", chairsAndOthers())) {
            assertThat(titles(service, "gaming chair with footrest", 3)).allSatisfy(t -> assertThat(t).containsIgnoringCase("chair"));
        }
    }

    /** bge-small-zh-v1.5 (512-d, CLS) over a small hand-made Chinese catalog: a judged handful of queries. */
    @Test
    void theChineseEncoderAnswersChineseQueries() throws IOException {
        JsonNode imported = importAs("bge-small-zh-v1.5-q", "zh", "--pooling", "cls");
        assertThat(imported.path("decisions").toString()).contains("dimension: 512");
        Map<String, String> judged = Map.of(
                "游戏椅", "ZH001",        // gaming chair
                "护眼台灯", "ZH003",      // eye-care desk lamp
                "客厅沙发", "ZH005",      // living-room sofa
                "降噪耳机", "ZH012",      // noise-cancelling earphones
                "保温杯", "ZH010");       // vacuum flask
        try (SearchService service = serve("zh", TESTDATA.resolve("zh/products.csv"))) {
            judged.forEach((query, id) -> {
                List<String> top3 = service.search(new Queries.Search(query, 3, ProductFilter.NONE, Queries.Target.PRIMARY),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(30)).results().stream().map(Queries.Result::productId).toList();
                assertThat(top3).as(query).contains(id);
            });
        }
    }

    @Test
    void theNextVersionIsTheNextFreeNumberAndAnExistingOneIsRefused() throws IOException {
        assertThat(importAs("all-minilm-l6-v2-q", "m").path("version").asText()).isEqualTo("1");
        assertThat(importAs("all-minilm-l6-v2-q", "m").path("version").asText()).isEqualTo("2");
        Path[] files = {dir.resolve("all-minilm-l6-v2-q.onnx"), dir.resolve("all-minilm-l6-v2-q-tokenizer.json")};
        CommandResult again = CommandResult.run("model", "import", files[0].toString(), files[1].toString(), "--repo",
                dir.resolve("repo").toString(), "--name", "m", "--model-version", "2");
        assertThat(again.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err().strip()).startsWith("recops: version 2 of m exists already");
    }

    @Test
    void badSourcesAreOneLineAndExitTwoAndLeaveNothingBehind() throws IOException {
        Path notOnnx = Files.writeString(dir.resolve("model.onnx"), "this is not a protobuf");
        Path[] files = export("all-minilm-l6-v2-q");
        Path repo = dir.resolve("repo");
        CommandResult garbage = CommandResult.run("model", "import", notOnnx.toString(), files[1].toString(), "--repo", repo.toString(),
                "--name", "m");
        assertThat(garbage.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(garbage.err().lines().count()).isEqualTo(1);
        assertThat(garbage.err()).contains("is not an ONNX model").doesNotContain("Exception");
        CommandResult noTokenizer = CommandResult.run("model", "import", files[0].toString(), "--repo", repo.toString(), "--name", "m");
        assertThat(noTokenizer.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noTokenizer.err()).contains("no tokenizer.json beside");
        CommandResult badTokenizer = CommandResult.run("model", "import", files[0].toString(), notOnnx.toString(), "--repo", repo.toString(),
                "--name", "m");
        assertThat(badTokenizer.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(CommandResult.run("model", "import", files[0].toString(), files[1].toString(), "--repo", repo.toString(),
                "--name", "../m").exitCode()).isEqualTo(ExitCodes.USAGE);
        try (var left = Files.exists(repo) ? Files.walk(repo) : java.util.stream.Stream.<Path>empty()) {
            assertThat(left.filter(Files::isRegularFile).toList()).as("nothing half-written in the repository").isEmpty();
        }
    }
}
