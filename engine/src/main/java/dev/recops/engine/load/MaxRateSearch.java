package dev.recops.engine.load;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoubleFunction;

/**
 * The highest open-loop rate at which every objective holds: the rate doubles from the start
 * until a rate fails (or halves until one passes), then bisects between the highest passing and
 * the lowest failing rate until they are within {@value #PRECISION} of each other. At most
 * {@value #MAX_RATES} rates; each probe is a full measured run.
 *
 * <p>A probe passes when the objectives hold and the queue is steady: its wait grew by at most
 * {@link #GROWING} ms per second ({@link RunResult#waitGrowth()}). Without that, a probe shorter
 * than the time the queue takes to fill passes a rate at which the queue only grows, and a longer
 * run at that rate sheds. A rate passes when a majority of its {@code repeats} probes pass
 * (probing stops once the majority is decided), so that one stall of a shared machine does not
 * fail a rate that holds, nor one lucky probe pass a rate that does not.
 */
public final class MaxRateSearch {
    static final double PRECISION = 0.05;
    static final int MAX_RATES = 16;
    /** Wait growing faster than this, ms per second, is a queue that only grows: arrivals outpace service by half the search's precision. */
    public static final double GROWING = 1000 * PRECISION / 2;

    /** One measured run at a rate: whether the objectives held, and whether the queue was steady. */
    public record Probe(RunResult run, boolean met, boolean steady) {
        public boolean passed() {
            return met && steady;
        }
    }

    /** A rate and its probes; it passed when most of them did. */
    public record Rate(double rate, List<Probe> probes) {
        public Rate {
            probes = List.copyOf(probes);
        }

        public long passes() {
            return probes.stream().filter(Probe::passed).count();
        }

        public boolean passed() {
            return 2 * passes() > probes.size();
        }
    }

    /** The best passing rate (empty when even the lowest probed failed) and every rate probed, in order. */
    public record Result(OptionalDouble bestRate, OptionalDouble firstFailingRate, List<Rate> rates) {
        public Result {
            rates = List.copyOf(rates);
        }

        /** Every run, in the order measured. */
        public List<RunResult> probes() {
            return rates.stream().flatMap(r -> r.probes().stream()).map(Probe::run).toList();
        }
    }

    private MaxRateSearch() {}

    /** Whether a run's queue was steady (a run too short to tell counts as steady). */
    public static boolean steady(RunResult r) {
        return !(r.waitGrowth() > GROWING);
    }

    /**
     * @param repeats probes per rate at most (odd numbers decide every rate): 1 judges each rate by one run
     */
    public static Result run(double startRate, int repeats, DoubleFunction<RunResult> runAt, List<Slo> objectives) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be at least 1, not " + repeats);
        }
        List<Rate> rates = new ArrayList<>();
        double pass = Double.NaN;
        double fail = Double.NaN;
        double rate = startRate;
        while (rates.size() < MAX_RATES) {
            Rate probed = probe(rate, repeats, runAt, objectives);
            rates.add(probed);
            boolean ok = probed.passed();
            if (ok) {
                pass = rate;
                if (pass >= fail) {
                    fail = Double.NaN; // a failure below a pass: search upwards again
                }
            } else {
                fail = rate;
            }
            if (!Double.isNaN(pass) && !Double.isNaN(fail)) {
                if ((fail - pass) / pass <= PRECISION) {
                    break;
                }
                rate = (pass + fail) / 2;
            } else if (ok) {
                rate *= 2;
            } else {
                rate /= 2;
                if (rate < 0.5) {
                    break;
                }
            }
        }
        return new Result(Double.isNaN(pass) ? OptionalDouble.empty() : OptionalDouble.of(pass),
                Double.isNaN(fail) ? OptionalDouble.empty() : OptionalDouble.of(fail), rates);
    }

    private static Rate probe(double rate, int repeats, DoubleFunction<RunResult> runAt, List<Slo> objectives) {
        int majority = repeats / 2 + 1;
        List<Probe> probes = new ArrayList<>();
        int passed = 0;
        while (probes.size() < repeats && passed < majority && probes.size() - passed < majority) {
            RunResult r = runAt.apply(rate);
            Probe p = new Probe(r, objectives.stream().allMatch(o -> o.evaluate(r).met()), steady(r));
            probes.add(p);
            passed += p.passed() ? 1 : 0;
        }
        return new Rate(rate, probes);
    }
}
