package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Measure;

/**
 * One service-level objective over a bench run, in the grammar every command shares
 * ({@link Objective}): {@code p99<=50ms}, {@code p50<=0.02s}, {@code p99.9<=200ms},
 * {@code max<=1s}, {@code errors<=0.1%}, {@code degraded<=1%} (answers from the server's
 * fallback, not its model, as a share of the requests), {@code throughput>=500} (responses per
 * second).
 */
public record Slo(Objective objective, boolean implicit) {

    public Slo(Objective objective) {
        this(objective, false);
    }

    /** {@code objectives} with {@link #NONE_DEGRADED} added when none of them bounds the degraded share. */
    public static java.util.List<Slo> withDefaults(java.util.List<Slo> objectives) {
        if (objectives.stream().anyMatch(o -> o.objective.measure().equals("degraded"))) {
            return java.util.List.copyOf(objectives);
        }
        java.util.List<Slo> all = new java.util.ArrayList<>(objectives);
        all.add(NONE_DEGRADED);
        return java.util.List.copyOf(all);
    }

    public static final Objective.Vocabulary VOCABULARY = Objective.Vocabulary.of("p99<=50ms, errors<=0.1% or throughput>=500",
            Objective.latency("p50"), Objective.latency("p90"), Objective.latency("p95"), Objective.latency("p99"),
            Objective.latency("p99.9"), Objective.latency("max"), Objective.latency("mean"),
            new Measure("errors", Objective.Kind.SHARE, Objective.Direction.UPPER),
            new Measure("degraded", Objective.Kind.SHARE, Objective.Direction.UPPER),
            new Measure("throughput", Objective.Kind.RATE, Objective.Direction.LOWER));

    /**
     * The objective every gate holds unless one of its own names {@code degraded}: no answer from
     * the fallback. A server whose model fails answers fast from BM25 with 200s; without it, such a
     * run would pass a latency objective it never measured.
     */
    public static final Slo NONE_DEGRADED = new Slo(VOCABULARY.parse("degraded<=0%"), true);

    /** The objective, the value measured, and whether it was met; latency in ms, errors as a fraction. */
    public record Verdict(Slo slo, double actual, boolean met) {
        public String describe() {
            if (slo.implicit) {
                return slo.text() + ": " + slo.objective.format(actual) + (met ? " (met, by default)"
                        : " (BREACHED, by default: answers from the fallback are not the model's; --slo 'degraded<=X%' allows some)");
            }
            return slo.text() + ": " + slo.objective.format(actual) + (met ? " (met)" : " (BREACHED)");
        }
    }

    public static Slo parse(String text) {
        try {
            return new Slo(VOCABULARY.parse(text));
        } catch (IllegalArgumentException e) {
            throw new RecopsException.InvalidInput("bad_slo", "invalid --slo: " + e.getMessage());
        }
    }

    public String text() {
        return objective.text();
    }

    /** A bound on latency (as opposed to errors or throughput). */
    public boolean latency() {
        return objective.kind() == Objective.Kind.DURATION;
    }

    public Verdict evaluate(RunResult r) {
        double actual = switch (objective.measure()) {
            case "p50" -> r.latency().p50();
            case "p90" -> r.latency().p90();
            case "p95" -> r.latency().p95();
            case "p99" -> r.latency().p99();
            case "p99.9" -> r.latency().p999();
            case "max" -> r.latency().max();
            case "mean" -> r.latency().mean();
            case "errors" -> r.errorRate();
            case "degraded" -> r.degradedShare();
            default -> r.throughput();
        };
        // nothing answered: no latency objective can be said to hold
        boolean met = objective.holds(actual) && !(latency() && r.latency().count() == 0);
        return new Verdict(this, actual, met);
    }
}
