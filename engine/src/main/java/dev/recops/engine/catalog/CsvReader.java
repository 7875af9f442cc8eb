package dev.recops.engine.catalog;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * A streaming RFC 4180 reader: comma-separated fields, double-quoted fields may hold commas,
 * doubled quotes and line breaks; CRLF or LF line ends. Each record carries the line number it
 * starts on, so problems can be reported where a person will look.
 *
 * <p>Not thread-safe. A quote inside an unquoted field or an unterminated quoted field is a
 * {@link MalformedCsvException} naming the line.
 */
public final class CsvReader {

    /** One record and the 1-based line it starts on. */
    public record Row(int line, List<String> fields) {}

    public static final class MalformedCsvException extends Exception {
        private static final long serialVersionUID = 1L;
        final int line;

        MalformedCsvException(int line, String message) {
            super("line " + line + ": " + message);
            this.line = line;
        }
    }

    private final Reader in;
    private int line = 1;
    private int pushedBack = -2;
    private boolean afterCr;

    public CsvReader(Reader in) {
        this.in = in;
    }

    /** The next record, or {@code null} at end of input. Blank lines are skipped. */
    public Row next() throws IOException, MalformedCsvException {
        int c = read();
        while (c == '\n' || c == '\r') {
            c = read();
        }
        if (c == -1) {
            return null;
        }
        int start = line;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldStart = true;
        while (true) {
            if (quoted) {
                if (c == -1) {
                    throw new MalformedCsvException(start, "quoted field is never closed");
                }
                if (c == '"') {
                    int d = read();
                    if (d == '"') {
                        field.append('"');
                    } else {
                        quoted = false;
                        if (d != ',' && d != '\n' && d != '\r' && d != -1) {
                            throw new MalformedCsvException(line, "unexpected character after closing quote");
                        }
                        c = d;
                        continue;
                    }
                } else {
                    field.append((char) c);
                }
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStart = true;
                c = read();
                continue;
            } else if (c == '\n' || c == '\r' || c == -1) {
                if (c == '\r') {
                    int d = read();
                    if (d != '\n') {
                        pushBack(d);
                    }
                }
                fields.add(field.toString());
                return new Row(start, fields);
            } else if (c == '"') {
                if (!fieldStart) {
                    throw new MalformedCsvException(line, "quote inside an unquoted field");
                }
                quoted = true;
            } else {
                field.append((char) c);
            }
            fieldStart = false;
            c = read();
        }
    }

    private void pushBack(int c) {
        pushedBack = c;
    }

    private int read() throws IOException {
        if (pushedBack != -2) {
            int c = pushedBack;
            pushedBack = -2;
            return c;
        }
        int c = in.read();
        // CR, LF and CRLF each end one line.
        if (c == '\r' || (c == '\n' && !afterCr)) {
            line++;
        }
        afterCr = c == '\r';
        return c;
    }
}
