package dev.recops.engine;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them, on the command line and in drill files: {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 5m}, {@code 0}. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    private Durations() {}

    /** @throws IllegalArgumentException when {@code value} is not such a duration */
    public static Duration parse(String value) {
        Matcher m = FORM.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches() || (m.group(2) == null && Double.parseDouble(m.group(1)) != 0)) {
            throw new IllegalArgumentException("'" + value + "' is not a duration such as 250ms, 2s or 5m");
        }
        double amount = Double.parseDouble(m.group(1));
        double millis = switch (m.group(2) == null ? "ms" : m.group(2)) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "m" -> amount * 60_000;
            default -> amount * 3_600_000;
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    /** The inverse, for messages: {@code 250ms}, {@code 2s}, {@code 1.5s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000 || ms % 100 != 0) {
            return ms + "ms";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : (ms / 100) / 10.0 + "s";
    }
}
