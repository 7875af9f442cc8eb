package dev.recops.engine.model;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.recops.engine.TestData;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.catalog.Product;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our tokenize-run-pool-normalise path must agree with an independent implementation of the same
 * models (langchain4j's, test scope only) on real queries and product titles.
 */
class TextEncoderParityTest {

    @ParameterizedTest(name = "version {0}")
    @CsvSource({"1", "2"})
    void embeddingsMatchTheLangchain4jReferenceOnRealQueriesAndTitles(String version) throws IOException {
        List<String> texts = realTexts();
        assertThat(texts).hasSizeGreaterThanOrEqualTo(30);
        // Ours first: DJL insists on creating the process-wide ONNX Runtime environment itself.
        try (TextEncoder encoder = TextEncoder.load(TestData.version(version), 1)) {
            EmbeddingModel reference = version.equals("1")
                    ? new AllMiniLmL6V2QuantizedEmbeddingModel()
                    : new BgeSmallEnV15QuantizedEmbeddingModel();
            for (int i = 0; i < texts.size(); i++) {
                float[] ours = encoder.embed(List.of(texts.get(i)))[0];
                float[] theirs = reference.embed(texts.get(i)).content().vector();
                assertThat(cosine(ours, theirs)).as("cosine for \"%s\"", texts.get(i)).isGreaterThanOrEqualTo(0.999);
                assertThat(norm(ours)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    /** 10 ESCI queries, 10 WANDS queries and 10 ESCI product texts, in file order. */
    private static List<String> realTexts() throws IOException {
        List<String> texts = new ArrayList<>();
        Files.readAllLines(TestData.testdata().resolve("esci/queries.csv")).stream()
                .skip(1).limit(10).map(l -> l.substring(l.indexOf(',') + 1)).forEach(texts::add);
        Files.readAllLines(TestData.testdata().resolve("wands/queries.csv")).stream()
                .skip(1).limit(10).map(l -> l.split(",")[1]).forEach(texts::add);
        CatalogLoader.load(TestData.esciProducts()).products().stream()
                .skip(100).limit(10).map(Product::embeddingText).forEach(texts::add);
        return texts;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot / (norm(a) * norm(b));
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
