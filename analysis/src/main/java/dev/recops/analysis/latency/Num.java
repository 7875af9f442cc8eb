package dev.recops.analysis.latency;

import java.util.Locale;

/** Numbers for people: no trailing zeros, at most {@code digits} decimals. */
final class Num {
    private Num() {}

    static String format(double v) {
        return format(v, 3);
    }

    static String format(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        String s = String.format(Locale.ROOT, "%." + digits + "f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
