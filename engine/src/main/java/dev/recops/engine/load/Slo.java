package dev.recops.engine.load;

import dev.recops.engine.RecopsException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One service-level objective over a run, written the way an SRE says it:
 * {@code p99<=50ms}, {@code p50<=0.02s}, {@code p99.9<=200ms}, {@code max<=1s},
 * {@code errors<=0.1%}, {@code throughput>=500} (responses per second).
 */
public record Slo(String text, Metric metric, boolean atMost, double bound) {

    public enum Metric {
        P50("p50"), P90("p90"), P95("p95"), P99("p99"), P999("p99.9"), MAX("max"), MEAN("mean"), ERRORS("errors"), THROUGHPUT("throughput");

        final String label;

        Metric(String label) {
            this.label = label;
        }

        boolean isLatency() {
            return this != ERRORS && this != THROUGHPUT;
        }
    }

    /** The objective, the value measured, and whether it was met; latency in ms, errors as a fraction. */
    public record Verdict(Slo slo, double actual, boolean met) {
        public String describe() {
            String value = switch (slo.metric) {
                case ERRORS -> String.format(Locale.ROOT, "%.3f%%", actual * 100);
                case THROUGHPUT -> String.format(Locale.ROOT, "%.1f/s", actual);
                default -> String.format(Locale.ROOT, "%.2f ms", actual);
            };
            return slo.text + ": " + value + (met ? " (met)" : " (BREACHED)");
        }
    }

    private static final Pattern FORM = Pattern.compile("(p50|p90|p95|p99|p99\\.9|p999|max|mean|errors|throughput)\\s*(<=|>=)\\s*([0-9]*\\.?[0-9]+)\\s*(ms|s|us|%|/s|rps)?");

    public static Slo parse(String text) {
        Matcher m = FORM.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw bad(text, "expected for example p99<=50ms, errors<=0.1% or throughput>=500");
        }
        Metric metric = switch (m.group(1)) {
            case "p50" -> Metric.P50;
            case "p90" -> Metric.P90;
            case "p95" -> Metric.P95;
            case "p99" -> Metric.P99;
            case "p99.9", "p999" -> Metric.P999;
            case "max" -> Metric.MAX;
            case "mean" -> Metric.MEAN;
            case "errors" -> Metric.ERRORS;
            default -> Metric.THROUGHPUT;
        };
        boolean atMost = m.group(2).equals("<=");
        double value = Double.parseDouble(m.group(3));
        String unit = m.group(4) == null ? "" : m.group(4);
        double bound;
        if (metric.isLatency()) {
            if (!atMost) {
                throw bad(text, "a latency objective is an upper bound (<=)");
            }
            bound = switch (unit) {
                case "ms" -> value;
                case "s" -> value * 1_000;
                case "us" -> value / 1_000;
                default -> throw bad(text, "a latency needs a unit: ms, s or us");
            };
        } else if (metric == Metric.ERRORS) {
            if (!atMost || !(unit.equals("%") || unit.isEmpty())) {
                throw bad(text, "errors take an upper bound in percent, for example errors<=0.1%");
            }
            bound = unit.equals("%") ? value / 100 : value;
        } else {
            if (atMost || !(unit.isEmpty() || unit.equals("/s") || unit.equals("rps"))) {
                throw bad(text, "throughput takes a lower bound in responses per second, for example throughput>=500");
            }
            bound = value;
        }
        return new Slo(text.strip(), metric, atMost, bound);
    }

    private static RecopsException.InvalidInput bad(String text, String why) {
        return new RecopsException.InvalidInput("bad_slo", "invalid --slo '" + text + "': " + why);
    }

    public Verdict evaluate(RunResult r) {
        double actual = switch (metric) {
            case P50 -> r.latency().p50();
            case P90 -> r.latency().p90();
            case P95 -> r.latency().p95();
            case P99 -> r.latency().p99();
            case P999 -> r.latency().p999();
            case MAX -> r.latency().max();
            case MEAN -> r.latency().mean();
            case ERRORS -> r.errorRate();
            case THROUGHPUT -> r.throughput();
        };
        boolean met = atMost ? actual <= bound : actual >= bound;
        if (metric.isLatency() && r.latency().count() == 0) {
            met = false; // nothing answered: no latency objective can be said to hold
        }
        return new Verdict(this, actual, met);
    }
}
