package dev.recops.analysis;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvTest {
    @Test
    void quotedFieldsKeepCommasAndDoubledQuotesAndRowsKnowTheirLine() {
        List<Csv.Row> rows = Csv.rows("runs.csv", "a,b,c,d\n\na,\"b,c\",\"d\"\"e\",\n\"multi\nline\",2,3,4\n");
        assertThat(rows).extracting(Csv.Row::line).containsExactly(1, 3, 4);
        assertThat(rows.get(1).fields()).containsExactly("a", "b,c", "d\"e", "");
        assertThat(rows.get(2).fields().getFirst()).isEqualTo("multi\nline");
    }

    @Test
    void anUnclosedQuoteNamesTheFileAndTheLineItsRowStartsOn() {
        assertThatThrownBy(() -> Csv.rows("runs.csv", "a,b\n1,2\n3,\"open\n4,5\n"))
                .isInstanceOf(AnalysisException.class).hasMessageStartingWith("runs.csv:3: not CSV");
    }
}
