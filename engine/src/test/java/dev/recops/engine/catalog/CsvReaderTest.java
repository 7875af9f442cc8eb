package dev.recops.engine.catalog;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvReaderTest {
    private static List<CsvReader.Row> read(String text) throws Exception {
        CsvReader csv = new CsvReader(new StringReader(text));
        List<CsvReader.Row> rows = new ArrayList<>();
        for (CsvReader.Row r; (r = csv.next()) != null; ) {
            rows.add(r);
        }
        return rows;
    }

    @Test
    void quotedFieldsMayHoldCommasQuotesAndLineBreaks() throws Exception {
        List<CsvReader.Row> rows = read("id,title\n1,\"Chair, \"\"gaming\"\"\nwith footrest\"\n2,plain\n");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1).fields()).containsExactly("1", "Chair, \"gaming\"\nwith footrest");
        assertThat(rows.get(2).fields()).containsExactly("2", "plain");
    }

    @Test
    void recordsKnowTheLineTheyStartOnAcrossMultiLineFieldsAndCrlf() throws Exception {
        List<CsvReader.Row> rows = read("a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n\r\n3,w");
        assertThat(rows).extracting(CsvReader.Row::line).containsExactly(1, 2, 4, 6);
        assertThat(rows.get(3).fields()).containsExactly("3", "w");
    }

    @Test
    void emptyFieldsAreKept() throws Exception {
        assertThat(read("a,,c,\n").getFirst().fields()).containsExactly("a", "", "c", "");
    }

    @Test
    void unterminatedQuoteIsAnErrorNamingTheLineWhereTheRecordStarts() {
        assertThatThrownBy(() -> read("a,b\n1,ok\n2,\"never closed\n3,x\n"))
                .isInstanceOf(CsvReader.MalformedCsvException.class)
                .hasMessage("line 3: quoted field is never closed");
    }

    @Test
    void quoteInsideUnquotedFieldIsKeptAsACharacter() throws Exception {
        assertThat(read("a,b\n1,ab\"c\n").get(1).fields()).containsExactly("1", "ab\"c");
    }

    @Test
    void blankLinesBetweenRecordsAreSkippedAndCounted() throws Exception {
        assertThat(read("a,b\n\n\n1,2\n")).extracting(CsvReader.Row::line).containsExactly(1, 4);
    }

    @Test
    void endOfInputWithoutNewlineEndsTheLastRecord() throws IOException, CsvReader.MalformedCsvException {
        CsvReader csv = new CsvReader(new StringReader("x,\"y\""));
        assertThat(csv.next().fields()).containsExactly("x", "y");
        assertThat(csv.next()).isNull();
    }
}
