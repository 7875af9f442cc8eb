package dev.recops.engine.serve;

import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Filters apply inside retrieval, in every mode: with 500 products of which 5 (1%) are in the
 * rare category, a search for 5 filtered to it returns those 5, not what is left of the top 5.
 */
class FiltersTest {
    @TempDir
    Path dir;
    private SearchService service;

    @BeforeEach
    void start() throws IOException {
        StringBuilder csv = new StringBuilder("product_id,title,brand,category,price,in_stock,description\n");
        for (int i = 0; i < 500; i++) {
            String category = i % 100 == 7 ? "rare" : i % 2 == 0 ? "chairs" : "lamps";
            csv.append("P").append(i).append(",office chair model ").append(i).append(",Acme,").append(category).append(',')
                    .append(10 + i).append(',').append(i % 3 == 0 ? "false" : "true").append(",a long text that is not an attribute\n");
        }
        Path catalog = Files.writeString(dir.resolve("catalog.csv"), csv);
        Path repo = FakeEncoder.repository(dir.resolve("models"), TestData.models(), "1");
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "", catalog, Optional.empty(), 1, 1,
                OptionalInt.empty(), Optional.empty(), 64, Duration.ofSeconds(5));
        service = new SearchService(options, ServiceSetup.DEFAULT, new ServerMetrics(), ServeListener.NONE,
                FakeEncoder.factory(new FakeEncoder.Gate()));
        service.load();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private List<Queries.Result> search(ProductFilter filters, Queries.Mode mode, int k) {
        return service.search(new Queries.Search("office chair", k, filters, Queries.Target.PRIMARY, mode),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30)).results();
    }

    @ParameterizedTest
    @EnumSource(value = Queries.Mode.class, names = {"VECTOR", "LEXICAL", "HYBRID", "HYBRID_WEIGHTED"})
    void aFilterKeepingOnePercentStillFillsTheAnswer(Queries.Mode mode) {
        List<Queries.Result> rare = search(new ProductFilter(Map.of("category", "RARE"), 0, Double.POSITIVE_INFINITY,
                ProductFilter.Stock.ANY), mode, 5);
        assertThat(rare).extracting(Queries.Result::productId).containsExactlyInAnyOrder("P7", "P107", "P207", "P307", "P407");
    }

    @ParameterizedTest
    @EnumSource(value = Queries.Mode.class, names = {"VECTOR", "LEXICAL", "HYBRID"})
    void priceRangesAndStockFilterToo(Queries.Mode mode) {
        List<Queries.Result> r = search(new ProductFilter(Map.of(), 100, 120, ProductFilter.Stock.IN_STOCK), mode, 50);
        // prices 10 + i in [100, 120]: i in 90..110, in stock unless i % 3 == 0: 14 products
        assertThat(r).hasSize(14).allSatisfy(x -> {
            int i = Integer.parseInt(x.productId().substring(1));
            assertThat(i).isBetween(90, 110);
            assertThat(i % 3).isNotZero();
        });
    }

    @Test
    void aFilterOnAnAttributeNoProductHasIsInvalidInputNamingWhatThereIs() {
        assertThatThrownBy(() -> search(new ProductFilter(Map.of("colour", "red"), 0, Double.POSITIVE_INFINITY, ProductFilter.Stock.ANY),
                Queries.Mode.VECTOR, 5))
                .isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("unknown filter \"colour\"").hasMessageContaining("brand, category, color, in_stock, price");
    }
}
