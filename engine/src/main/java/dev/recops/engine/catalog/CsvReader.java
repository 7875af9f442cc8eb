package dev.recops.engine.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;

import java.io.IOException;
import java.io.Reader;
import java.util.List;

/**
 * CSV records as Jackson's CSV module reads them (RFC 4180: double-quoted fields may hold commas,
 * doubled quotes and line breaks; CRLF or LF; blank lines skipped), each with the line it starts
 * on, so that problems are reported where a person will look. Every CSV recops reads goes through
 * Jackson's module; this is the streaming, line-numbered form the catalog needs.
 *
 * <p>Not thread-safe. A quoted field that is never closed is a {@link MalformedCsvException} naming
 * the line its record starts on; a quote inside an unquoted field is kept as a character.
 */
public final class CsvReader {
    /** Rows as lists of strings; the reader stays open: it is the caller's (who may hash or close it). */
    private static final ObjectReader ROWS = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY)
            .enable(CsvParser.Feature.SKIP_EMPTY_LINES).disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build().readerForListOf(String.class);

    /** One record and the 1-based line it starts on. */
    public record Row(int line, List<String> fields) {}

    public static final class MalformedCsvException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedCsvException(long line, String message) {
            super("line " + line + ": " + message);
        }
    }

    private final MappingIterator<List<String>> rows;

    public CsvReader(Reader in) throws IOException {
        this.rows = ROWS.readValues(in);
    }

    /** The next record, or {@code null} at end of input. */
    public Row next() throws IOException, MalformedCsvException {
        long line = rows.getParser().currentLocation().getLineNr(); // where the parser stopped: the next record's first line
        try {
            if (!rows.hasNextValue()) {
                return null;
            }
            return new Row((int) line, rows.nextValue());
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            throw new MalformedCsvException(line, why.startsWith("Missing closing quote") ? "quoted field is never closed" : why);
        }
    }
}
