package dev.recops.engine.load;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoubleFunction;

/**
 * The highest open-loop rate at which every objective holds: the rate doubles from the start
 * until a run breaches (or halves until one passes), then bisects between the last passing and
 * the first failing rate until they are within {@value #PRECISION} of each other. At most
 * {@value #MAX_RUNS} runs; each is a full measured run.
 */
public final class MaxRateSearch {
    static final double PRECISION = 0.05;
    static final int MAX_RUNS = 16;

    /** The best passing rate (empty when even the lowest probed failed) and every probe. */
    public record Result(OptionalDouble bestRate, OptionalDouble firstFailingRate, List<RunResult> probes) {}

    private MaxRateSearch() {}

    public static Result run(double startRate, DoubleFunction<RunResult> runAt, List<Slo> objectives) {
        List<RunResult> probes = new ArrayList<>();
        double pass = Double.NaN;
        double fail = Double.NaN;
        double rate = startRate;
        while (probes.size() < MAX_RUNS) {
            RunResult r = runAt.apply(rate);
            probes.add(r);
            boolean ok = objectives.stream().allMatch(o -> o.evaluate(r).met());
            if (ok) {
                pass = rate;
                if (pass >= fail) {
                    fail = Double.NaN; // a noisy failure below a pass: search upwards again
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
                Double.isNaN(fail) ? OptionalDouble.empty() : OptionalDouble.of(fail), probes);
    }
}
