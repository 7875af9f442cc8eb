package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Measure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One service-level objective over a bench run, in the grammar every command shares
 * ({@link Objective}): {@code p99<=50ms}, {@code p50<=0.02s}, {@code p99.9<=200ms},
 * {@code max<=1s}, {@code errors<=0.1%}, {@code degraded<=1%} (answers from the server's
 * fallback, not its model, as a share of the requests), {@code throughput>=500} (responses per
 * second).
 */
public record Slo(Objective objective, boolean implicit) {

    public static final Objective.Vocabulary VOCABULARY = Objective.Vocabulary.of("p99<=50ms, errors<=0.1% or throughput>=500",
            Arrays.stream(Measured.values()).map(m -> m.measure).toArray(Measure[]::new));

    /**
     * The objective every gate holds unless one of its own names {@code degraded}: no answer from
     * the fallback. A server whose model fails answers fast from BM25 with 200s; without it, such a
     * run would pass a latency objective it never measured.
     */
    public static final Slo NONE_DEGRADED = new Slo(VOCABULARY.parse("degraded<=0%"), true);

    public Slo(Objective objective) {
        this(objective, false);
    }

    /** {@code objectives} with {@link #NONE_DEGRADED} added when none of them bounds the degraded share. */
    public static List<Slo> withDefaults(List<Slo> objectives) {
        if (objectives.stream().anyMatch(o -> o.objective.measure().equals("degraded"))) {
            return List.copyOf(objectives);
        }
        List<Slo> all = new ArrayList<>(objectives);
        all.add(NONE_DEGRADED);
        return List.copyOf(all);
    }

    /** What a bench gate can bound: each measure's name, kind and direction, and where a run says it. */
    enum Measured {
        P50(Objective.latency("p50"), r -> r.latency().p50()),
        P90(Objective.latency("p90"), r -> r.latency().p90()),
        P95(Objective.latency("p95"), r -> r.latency().p95()),
        P99(Objective.latency("p99"), r -> r.latency().p99()),
        P999(Objective.latency("p99.9"), r -> r.latency().p999()),
        MAX(Objective.latency("max"), r -> r.latency().max()),
        MEAN(Objective.latency("mean"), r -> r.latency().mean()),
        ERRORS(new Measure("errors", Objective.Kind.SHARE, Objective.Direction.UPPER), RunResult::errorRate),
        DEGRADED(new Measure("degraded", Objective.Kind.SHARE, Objective.Direction.UPPER), RunResult::degradedShare),
        THROUGHPUT(new Measure("throughput", Objective.Kind.RATE, Objective.Direction.LOWER), RunResult::throughput);

        final Measure measure;
        final ToDoubleFunction<RunResult> read;

        Measured(Measure measure, ToDoubleFunction<RunResult> read) {
            this.measure = measure;
            this.read = read;
        }
    }

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
        double actual = objective.measureIn(Measured.values(), m -> m.measure).read.applyAsDouble(r);
        // nothing answered: no latency objective can be said to hold
        boolean met = objective.holds(actual) && !(latency() && r.latency().count() == 0);
        return new Verdict(this, actual, met);
    }
}
