package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A latency objective such as {@code p99<=50ms}: the percentile predicted must not exceed the bound. */
public record Objective(Target target, double maxMillis) implements Serializable {
    private static final Pattern FORM = Pattern.compile("\\s*(p50|p95|p99)\\s*<=\\s*([0-9]*\\.?[0-9]+)\\s*(ms|s)?\\s*");

    public static Objective parse(String s) {
        Matcher m = FORM.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw AnalysisException.invalid("objective \"" + s + "\" is not like p99<=50ms (p50, p95 or p99; ms or s)");
        }
        double v = Double.parseDouble(m.group(2)) * ("s".equals(m.group(3)) ? 1000 : 1);
        if (v <= 0) {
            throw AnalysisException.invalid("objective \"" + s + "\" must allow more than 0 ms");
        }
        return new Objective(Target.valueOf(m.group(1).toUpperCase(Locale.ROOT)), v);
    }

    public boolean met(LatencyModel.Prediction p) {
        return p.latency(target) <= maxMillis;
    }

    @Override
    public String toString() {
        return target.label() + "<=" + Num.format(maxMillis) + "ms";
    }
}
