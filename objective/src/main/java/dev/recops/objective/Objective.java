package dev.recops.objective;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One objective, written the way an SRE says it: a measure, a comparison and a bound with its
 * unit, such as {@code p99<=50ms}, {@code errors<=0.1%}, {@code throughput>=500/s},
 * {@code rto<=2s} or {@code lost_requests==0}. Every command that judges something (bench's
 * gate, drill's probes and expectations, review's per-minute objectives, predict-latency's
 * plan) parses through here with its own {@link Vocabulary}, so the operators, units and
 * error messages are the same everywhere.
 *
 * <p>Bounds are kept in one unit per kind: durations in milliseconds (in any unit of
 * {@link Durations}), shares as a fraction (written in percent), rates per second (bare,
 * {@code /s} or {@code rps}), counts as written.
 *
 * @param text as written, trimmed
 * @param measure the measure's canonical name (p99.9 for p999)
 */
public record Objective(String text, String measure, Op op, double bound, Kind kind) {

    /** What a measure counts, which decides the units its bound may take. */
    public enum Kind { DURATION, SHARE, RATE, COUNT }

    /** The comparison; {@code holds} is true when the measured value satisfies it. */
    public enum Op {
        AT_MOST("<="), BELOW("<"), AT_LEAST(">="), ABOVE(">"), EQUALS("==");

        private final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        boolean upper() {
            return this == AT_MOST || this == BELOW;
        }

        boolean lower() {
            return this == AT_LEAST || this == ABOVE;
        }

        static Op of(String symbol) {
            return Arrays.stream(values()).filter(o -> o.symbol.equals(symbol)).findFirst().orElseThrow();
        }
    }

    /** Which way a measure may be bounded: latency from above, throughput from below, or either. */
    public enum Direction { UPPER, LOWER, ANY }

    /** One measure a command knows. */
    public record Measure(String name, Kind kind, Direction direction) {}

    /** The measures one command judges, with an example for its error messages. */
    public record Vocabulary(String example, Map<String, Measure> measures) {
        public static Vocabulary of(String example, Measure... measures) {
            return new Vocabulary(example, Arrays.stream(measures).collect(Collectors.toUnmodifiableMap(Measure::name, m -> m)));
        }

        public Objective parse(String text) {
            return Objective.parse(text, this);
        }
    }

    /** Every latency percentile any command reads: p50 .. p99.9, max and mean. */
    public static Measure latency(String name) {
        return new Measure(name, Kind.DURATION, Direction.UPPER);
    }

    private static final Pattern FORM = Pattern.compile(
            "\\s*([a-z][a-z0-9_]*(?:\\.[0-9]+)?)\\s*(<=|>=|==|<|>)\\s*([0-9]*\\.?[0-9]+(?:e[-+]?[0-9]+)?)\\s*(" + Durations.UNITS + "|%|/s|rps)?\\s*");

    /**
     * @throws IllegalArgumentException with a one-line reason naming the objective as written
     */
    public static Objective parse(String text, Vocabulary vocabulary) {
        if (text == null || text.isBlank()) {
            throw bad("", "empty; write one like " + vocabulary.example());
        }
        Matcher m = FORM.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw bad(text, "not an objective like " + vocabulary.example());
        }
        String name = m.group(1).equals("p999") ? "p99.9" : m.group(1);
        Measure measure = vocabulary.measures().get(name);
        if (measure == null) {
            throw bad(text, "'" + name + "' is not one of " + vocabulary.measures().keySet().stream().sorted().collect(Collectors.joining(", "))
                    + "; write one like " + vocabulary.example());
        }
        Op op = Op.of(m.group(2));
        if (measure.direction() == Direction.UPPER && !op.upper()) {
            throw bad(text, name + " is bounded from above (<= or <)");
        }
        if (measure.direction() == Direction.LOWER && !op.lower()) {
            throw bad(text, name + " is bounded from below (>= or >)");
        }
        double value = Double.parseDouble(m.group(3));
        String unit = m.group(4) == null ? "" : m.group(4);
        double bound = switch (measure.kind()) {
            case DURATION -> {
                if (!unit.matches(Durations.UNITS)) {
                    throw bad(text, name + " is a duration: give a unit (us, ms, s, m or h)");
                }
                yield Durations.millis(value, unit);
            }
            case SHARE -> {
                if (!unit.equals("%")) {
                    throw bad(text, name + " is a share: give it in percent, like " + name + op.symbol + "0.1%");
                }
                yield value / 100;
            }
            case RATE -> {
                if (!(unit.isEmpty() || unit.equals("/s") || unit.equals("rps"))) {
                    throw bad(text, name + " is per second: give a number, optionally with /s");
                }
                yield value;
            }
            case COUNT -> {
                if (!unit.isEmpty()) {
                    throw bad(text, name + " is a count, without a unit");
                }
                yield value;
            }
        };
        return new Objective(text.strip(), name, op, bound, measure.kind());
    }

    /**
     * The one of {@code values} whose measure this objective names: for a vocabulary built from
     * an enum's measures, the enum constant to dispatch on.
     *
     * @throws IllegalArgumentException when none is (the objective came from another vocabulary)
     */
    public <E> E measureIn(E[] values, Function<E, Measure> measureOf) {
        return Arrays.stream(values).filter(v -> measureOf.apply(v).name().equals(measure)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(text + " is not one of " + Arrays.toString(values)));
    }

    /** Whether {@code measured} (in the kind's unit) satisfies the objective; NaN never does. */
    public boolean holds(double measured) {
        if (Double.isNaN(measured)) {
            return false;
        }
        double eps = 1e-9 * Math.max(1, Math.abs(bound));
        return switch (op) {
            case AT_MOST -> measured <= bound + eps;
            case BELOW -> measured < bound;
            case AT_LEAST -> measured >= bound - eps;
            case ABOVE -> measured > bound;
            case EQUALS -> Math.abs(measured - bound) <= eps;
        };
    }

    /** A measured value in the unit this objective was written in the kind of: "12.30 ms", "0.150%", "512.0/s". */
    public String format(double measured) {
        return switch (kind) {
            case DURATION -> String.format(Locale.ROOT, "%.2f ms", measured);
            case SHARE -> String.format(Locale.ROOT, "%.3f%%", measured * 100);
            case RATE -> String.format(Locale.ROOT, "%.1f/s", measured);
            case COUNT -> String.format(Locale.ROOT, "%.0f", measured);
        };
    }

    @Override
    public String toString() {
        return text;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("objective '" + text.strip() + "': " + why);
    }
}
