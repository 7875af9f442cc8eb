package dev.recops.engine.catalog;

import dev.recops.engine.TestData;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The synthetic catalog: deterministic, loadable, real vocabulary, a 1% group filter. */
class CatalogGeneratorTest {
    @Test
    void isDeterministicLoadableAndHasAOnePercentGroup() {
        Catalog real = CatalogLoader.load(TestData.esciProducts());
        CatalogGenerator gen = new CatalogGenerator(real);
        StringWriter a = new StringWriter();
        StringWriter b = new StringWriter();
        gen.write(7, 5_000, a);
        gen.write(7, 5_000, b);
        assertThat(a.toString()).isEqualTo(b.toString());
        StringWriter other = new StringWriter();
        gen.write(8, 5_000, other);
        assertThat(other.toString()).isNotEqualTo(a.toString());

        CatalogLoader.Parsed parsed = CatalogLoader.parseJsonLines(a.toString());
        assertThat(parsed.rejected()).isEmpty();
        assertThat(parsed.products()).hasSize(5_000);
        Map<String, Long> groups = parsed.products().stream().collect(Collectors.groupingBy(p -> p.attribute("group"), Collectors.counting()));
        assertThat(groups).hasSize(100);
        assertThat(groups.values()).allSatisfy(count -> assertThat(count).isBetween(20L, 90L)); // about 50 each: 1%

        Set<String> realWords = new HashSet<>();
        real.products().forEach(p -> realWords.addAll(java.util.List.of(p.title().split("\\s+"))));
        assertThat(parsed.products()).allSatisfy(p -> assertThat(realWords).containsAll(java.util.List.of(p.title().split("\\s+"))));
        assertThat(parsed.products().stream().filter(Product::inStock).count()).isBetween(4_300L, 4_700L);
    }
}
