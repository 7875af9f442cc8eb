package dev.recops.analysis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CSV files analysis reads (bench runs, call-time profiles, relevance judgments), through
 * Jackson's CSV module as the engine's catalog reader does: RFC 4180 quoting, CRLF or LF, blank
 * lines skipped, each record with the line it starts on for messages.
 */
public final class Csv {
    private static final ObjectReader ROWS = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY)
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES).build().readerForListOf(String.class);

    /** One record and the 1-based line it starts on. */
    public record Row(int line, List<String> fields) {}

    private Csv() {}

    /** Every record of a file, the header first. */
    public static List<Row> rows(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw AnalysisException.missing("cannot read " + file + ": " + e.getMessage());
        }
        return rows(file.toString(), text);
    }

    /**
     * Every record of {@code text}, the header first.
     *
     * @param where the file, for messages
     */
    public static List<Row> rows(String where, String text) {
        List<Row> out = new ArrayList<>();
        long line = 1;
        try (MappingIterator<List<String>> it = ROWS.readValues(text)) {
            while (true) {
                line = it.getParser().currentLocation().getLineNr(); // where the parser stopped: the next record's first line
                if (!it.hasNextValue()) {
                    return out;
                }
                out.add(new Row((int) line, it.nextValue()));
            }
        } catch (JsonProcessingException e) {
            throw AnalysisException.invalid(where + ":" + line + ": not CSV: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw AnalysisException.missing("cannot read " + where + ": " + e.getMessage());
        }
    }
}
