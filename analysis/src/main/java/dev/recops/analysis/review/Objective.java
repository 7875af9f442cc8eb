package dev.recops.analysis.review;

import dev.recops.analysis.AnalysisException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A per-minute objective: {@code p99<=50ms} (p50, p95, p99, p99.9; ms or s) or {@code errors<=0.1%}. */
public record Objective(Metric metric, double bound) {
    public enum Metric { P50, P95, P99, P999, ERRORS }

    private static final Pattern FORM = Pattern.compile("\\s*(p50|p95|p99|p99\\.9|p999|errors)\\s*<=\\s*([0-9]*\\.?[0-9]+)\\s*(ms|s|%)?\\s*");

    public static Objective parse(String s) {
        Matcher m = FORM.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw AnalysisException.invalid("objective \"" + s + "\" is not like p99<=50ms or errors<=0.1%");
        }
        double v = Double.parseDouble(m.group(2));
        String unit = m.group(3) == null ? "" : m.group(3);
        Metric metric = switch (m.group(1)) {
            case "p50" -> Metric.P50;
            case "p95" -> Metric.P95;
            case "p99" -> Metric.P99;
            case "errors" -> Metric.ERRORS;
            default -> Metric.P999;
        };
        if (metric == Metric.ERRORS) {
            if (!unit.equals("%")) {
                throw AnalysisException.invalid("objective \"" + s + "\": give the error rate in percent, like errors<=0.1%");
            }
            return new Objective(metric, v / 100);
        }
        if (unit.equals("%")) {
            throw AnalysisException.invalid("objective \"" + s + "\": a latency bound takes ms or s");
        }
        return new Objective(metric, unit.equals("s") ? v * 1000 : v);
    }

    public boolean met(Timeline.Minute m) {
        return m.metric(metric) <= bound;
    }

    @Override
    public String toString() {
        return metric == Metric.ERRORS ? String.format(Locale.ROOT, "errors<=%s%%", trim(bound * 100))
                : String.format(Locale.ROOT, "%s<=%sms", metric == Metric.P999 ? "p99.9" : metric.name().toLowerCase(Locale.ROOT), trim(bound));
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
