package dev.recops.engine.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class IndexChoiceTest {
    @Test
    void parametersNotGivenFollowTheCatalogSize() {
        assertThat(IndexChoice.AUTO.paramsFor(100_000)).isEqualTo(new HnswIndex.Params(16, 100, 200));
        assertThat(IndexChoice.AUTO.paramsFor(HnswIndex.Params.LARGE - 1)).isEqualTo(HnswIndex.Params.DEFAULT);
        assertThat(IndexChoice.AUTO.paramsFor(HnswIndex.Params.LARGE)).isEqualTo(new HnswIndex.Params(32, 200, 300));
        assertThat(IndexChoice.AUTO.paramsFor(1_000_000)).isEqualTo(HnswIndex.Params.LARGE_DEFAULT);
    }

    @Test
    void givenParametersWinAtEverySize() {
        IndexChoice efOnly = new IndexChoice(IndexChoice.Kind.HNSW, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(120));
        assertThat(efOnly.paramsFor(10_000)).isEqualTo(new HnswIndex.Params(16, 100, 120));
        assertThat(efOnly.paramsFor(1_000_000)).isEqualTo(new HnswIndex.Params(32, 200, 120));
        IndexChoice fixed = IndexChoice.of(IndexChoice.Kind.HNSW, new HnswIndex.Params(8, 50, 40));
        assertThat(fixed.paramsFor(10)).isEqualTo(fixed.paramsFor(5_000_000)).isEqualTo(new HnswIndex.Params(8, 50, 40));
    }

    @Test
    void aParameterOutOfRangeIsRefusedWhenGiven() {
        assertThatThrownBy(() -> new IndexChoice(IndexChoice.Kind.AUTO, OptionalInt.of(1), OptionalInt.empty(), OptionalInt.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("M 1");
        assertThatThrownBy(() -> new IndexChoice(IndexChoice.Kind.AUTO, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ef 0");
    }
}
