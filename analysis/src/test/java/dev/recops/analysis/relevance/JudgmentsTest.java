package dev.recops.analysis.relevance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JudgmentsTest {
    @Test
    void readsTheEsciJudgmentsShippedInTestdata() {
        Judgments j = Judgments.read(Path.of(System.getProperty("recops.testdata", "../testdata"), "esci/qrels.csv"));
        assertThat(j.queries()).hasSize(25);
        assertThat(j.of("4845")).containsEntry("B08CZ6TC2L", 3.0);
        assertThat(j.gains().values()).allSatisfy(g -> assertThat(g.size()).isBetween(3, 30));
    }

    @Test
    void rejectsARowWithTheWrongNumberOfFieldsNamingTheLine(@TempDir Path dir) throws IOException {
        Path qrels = dir.resolve("qrels.csv");
        Files.writeString(qrels, "query_id,product_id,gain\n1,A,3\n2,B\n");
        assertThatThrownBy(() -> Judgments.read(qrels)).hasMessageContaining("line 3");
    }

    @Test
    void rejectsAHeaderWithoutGain(@TempDir Path dir) throws IOException {
        Path qrels = dir.resolve("qrels.csv");
        Files.writeString(qrels, "query_id,product_id\n1,A\n");
        assertThatThrownBy(() -> Judgments.read(qrels)).hasMessageContaining("no gain column");
    }
}
