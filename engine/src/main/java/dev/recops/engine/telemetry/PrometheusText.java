package dev.recops.engine.telemetry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one reader of the Prometheus text exposition format (what {@code /metrics} answers, and
 * HAProxy's and Prometheus' own): {@code name{label="value",...} value [timestamp]} per line.
 * Label values may hold escaped quotes, backslashes and newlines ({@code \"}, {@code \\}, {@code
 * \n}) and any of {@code , } { =}; values may be {@code +Inf}, {@code -Inf} or {@code NaN}; a
 * timestamp after the value is read past. Comments ({@code # HELP}, {@code # TYPE}, {@code # EOF})
 * and blank lines are skipped, and so is a line that does not parse: one odd series never costs
 * the rest of a scrape.
 */
public final class PrometheusText {
    /** One series: its name, labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
        /** A label's value, empty when the series has none. */
        public String label(String name) {
            return labels.getOrDefault(name, "");
        }
    }

    private PrometheusText() {}

    /** Every sample of an exposition, in its order. */
    public static List<Sample> parse(String exposition) {
        List<Sample> out = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            Sample s = line(line.strip());
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** The sum over the series of {@code name} whose labels include {@code match} (every series of it when empty). */
    public static double sum(List<Sample> samples, String name, Map<String, String> match) {
        double sum = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(match.entrySet())) {
                sum += s.value();
            }
        }
        return sum;
    }

    /** One line's sample; null for a comment, a blank or a line that is not a sample. */
    static Sample line(String line) {
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        int i = 0;
        while (i < line.length() && isNameChar(line.charAt(i), i == 0)) {
            i++;
        }
        if (i == 0) {
            return null;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++; // tokens may be separated by blanks and tabs
        }
        if (i < line.length() && line.charAt(i) == '{') {
            i = labels(line, i + 1, labels);
            if (i < 0) {
                return null;
            }
        }
        String[] rest = line.substring(i).strip().split("\\s+");
        if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
            return null;
        }
        try {
            return new Sample(name, labels, value(rest[0]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Reads {@code label="value",...}} from {@code i}; the index after the closing brace, or -1 when malformed. */
    private static int labels(String line, int i, Map<String, String> labels) {
        while (true) {
            while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
                i++;
            }
            if (i >= line.length()) {
                return -1;
            }
            if (line.charAt(i) == '}') {
                return i + 1;
            }
            int eq = line.indexOf('=', i);
            int quote = eq < 0 ? -1 : line.indexOf('"', eq);
            if (quote < 0 || !line.substring(eq + 1, quote).isBlank()) {
                return -1;
            }
            String key = line.substring(i, eq).strip();
            StringBuilder value = new StringBuilder();
            int j = quote + 1;
            for (; j < line.length() && line.charAt(j) != '"'; j++) {
                char c = line.charAt(j);
                if (c == '\\' && j + 1 < line.length()) {
                    char next = line.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
            }
            if (j >= line.length()) {
                return -1;
            }
            labels.put(key, value.toString());
            i = j + 1;
        }
    }

    private static double value(String text) {
        return switch (text) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }

    private static boolean isNameChar(char c, boolean first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
    }
}
