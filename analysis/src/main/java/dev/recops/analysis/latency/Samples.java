package dev.recops.analysis.latency;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a target is judged on: a query and the value measured for it. */
record Samples(List<Query> queries, double[] values) {

    /**
     * The median request of a run waited this many times the configuration's unloaded p50 or
     * more: its queue was growing (in M/M/1 terms, utilisation above 0.8), not in a steady state.
     */
    static final double KNEE = 5;

    int size() {
        return values.length;
    }

    /**
     * Percentiles: the runs in steady state, those of each configuration below its knee, the
     * lowest rate at which the median request waited {@link #KNEE} times the unloaded p50, or
     * more than {@link Observation#STABLE_ERROR_RATE} failed. Beyond it latency is set by the
     * queue's growth over the run and the timeout, not by the configuration: that region is
     * what max throughput and the utilisation warning describe.
     *
     * <p>Max throughput: one sample per configuration driven past capacity (some run failed more
     * than {@link Observation#STABLE_ERROR_RATE}); its value is the highest goodput any of its
     * runs reached. A configuration never overloaded only shows a lower bound, and is left out.
     */
    static Samples of(Target t, List<Observation> observations) {
        return of(t, observations, false);
    }

    /**
     * As {@link #of(Target, List)}, with each latency lowered to the lowest its configuration
     * measured at the same or a higher rate: the values to learn from. On a fixed configuration
     * latency never falls as the rate rises, so a run above a faster run at a higher rate was
     * slowed by something else (a noisy neighbour, a pause), and such disturbances only ever add
     * latency. Models are judged on the runs as measured.
     */
    static Samples forTraining(Target t, List<Observation> observations) {
        return of(t, observations, true);
    }

    private static Samples of(Target t, List<Observation> observations, boolean envelope) {
        List<Query> queries = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        Map<Config, List<Observation>> byConfig = byConfig(observations);
        if (t.latency()) {
            byConfig.values().forEach(obs -> {
                List<Observation> steady = steadyState(obs);
                for (int i = 0; i < steady.size(); i++) {
                    double v = steady.get(i).value(t);
                    for (int j = i + 1; envelope && j < steady.size(); j++) {
                        v = Math.min(v, steady.get(j).value(t));
                    }
                    if (v > 0 && Double.isFinite(v)) {
                        queries.add(steady.get(i).query());
                        values.add(v);
                    }
                }
            });
        } else {
            byConfig.forEach((c, obs) -> {
                if (obs.stream().anyMatch(o -> !o.stable())) {
                    queries.add(new Query(c, Double.NaN, obs.stream().mapToDouble(o -> o.query().queryTokens()).average().orElse(Double.NaN)));
                    values.add(obs.stream().mapToDouble(Observation::goodput).max().orElseThrow());
                }
            });
        }
        return new Samples(List.copyOf(queries), values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** One configuration's runs below its knee, by rate. */
    static List<Observation> steadyState(List<Observation> configuration) {
        List<Observation> byRate = configuration.stream().sorted(Comparator.comparingDouble(o -> o.query().rate())).toList();
        List<Observation> out = new ArrayList<>();
        double unloaded = byRate.isEmpty() ? Double.NaN : byRate.getFirst().p50();
        for (Observation o : byRate) {
            if (!o.stable() || o.p50() >= KNEE * unloaded) {
                break;
            }
            out.add(o);
        }
        return out;
    }

    static Map<Config, List<Observation>> byConfig(List<Observation> observations) {
        Map<Config, List<Observation>> out = new LinkedHashMap<>();
        for (Observation o : observations) {
            out.computeIfAbsent(o.config(), k -> new ArrayList<>()).add(o);
        }
        return out;
    }
}
