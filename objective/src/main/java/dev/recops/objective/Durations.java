package dev.recops.objective;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar of durations, as people write them on the command line, in drill files and in
 * objectives: a number and a unit, {@code us}, {@code ms}, {@code s}, {@code m} or {@code h}
 * ({@code 250ms}, {@code 1.5s}, {@code 5m}, {@code 1h}); a bare {@code 0} on its own.
 */
public final class Durations {
    /** The units, as a regular expression's alternatives. */
    static final String UNITS = "us|ms|s|m|h";
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(" + UNITS + ")?");

    private Durations() {}

    /** @throws IllegalArgumentException when {@code value} is not such a duration */
    public static Duration parse(String value) {
        Matcher m = FORM.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches() || (m.group(2) == null && Double.parseDouble(m.group(1)) != 0)) {
            throw new IllegalArgumentException("'" + value + "' is not a duration such as 250ms, 2s or 5m");
        }
        double amount = Double.parseDouble(m.group(1));
        return Duration.ofNanos(Math.round(m.group(2) == null ? 0 : millis(amount, m.group(2)) * 1_000_000));
    }

    /**
     * {@code amount} of {@code unit} in milliseconds.
     *
     * @throws IllegalArgumentException when {@code unit} is not one of {@link #UNITS}
     */
    static double millis(double amount, String unit) {
        return switch (unit) {
            case "us" -> amount / 1_000;
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "m" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> throw new IllegalArgumentException("'" + unit + "' is not a unit of time (us, ms, s, m or h)");
        };
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
