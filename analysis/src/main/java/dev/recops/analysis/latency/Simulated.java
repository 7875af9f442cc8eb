package dev.recops.analysis.latency;

import dev.recops.analysis.AnalysisException;
import dev.recops.batching.BatchSimulation;
import smile.math.MathEx;
import smile.math.matrix.Matrix;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The profile + simulation model: the whole server simulated in virtual time under Poisson
 * arrivals at the offered rate ({@link WhatIf}): recops' own batcher ({@link BatchSimulation}, which
 * shares the policy's code with the batcher), each model call as long as the call-time profile
 * ({@link CallTimeModel}, from {@code recops bench --profile}) says, and the server's work around the
 * batcher ({@link WhatIf.Outside}: HTTP, JSON, tokenizing, retrieval, GC) as CPU work competing
 * with the calls for the server's CPUs; then calibrated.
 *
 * <ul>
 *   <li>The work around the batcher ({@link WhatIf.Outside}), measured from the runs whose server
 *       said its CPU time ({@code server_cpu_ms_per_request}, bench reads it from the server's
 *       {@code process_cpu_seconds_total}): its CPU, that CPU less the model calls' ({@link
 *       #measuredOutside}), a line through the runs' CPU per second against their rate (a cost per
 *       request and a background); its time per request, what each configuration's least loaded
 *       run took beyond what the batcher alone would take there, the median over configurations.
 *       Data without the CPU (older files) simulate the batcher alone, and {@code o} is the
 *       server's time per request outside it that max throughput implies: the mean of {@code
 *       1/measured - 1/C} over the configurations driven past capacity ({@code C} the batcher's
 *       simulated capacity); 0 without such data either.
 *   <li>Max throughput: the highest rate the simulated server serves with at most 1% shed or
 *       expired and a steady queue over {@value #CAPACITY_SECONDS} s (what {@code bench
 *       --find-max-rate --slo 'errors<=1%'} finds with 10 s probes); without the measured CPU,
 *       {@code 1/(o + 1/C)}.
 *   <li>Each percentile: {@code log p = θ0 + θ1·log sim_p + θ2·log(1/(1-ρ))}, {@code sim_p} the
 *       simulated percentile (median of {@value #SEEDS} seeds), {@code ρ} the offered rate over the
 *       max throughput; θ by least squares on the training runs' logs, kept only when it predicts
 *       configurations left out of its fit better than {@code sim_p} as it is (θ = 0, 1, 0).
 * </ul>
 *
 * <p>Its spread: the standard deviation of the log percentile over the seeds, which
 * {@link LatencyModel} adds to the cross-validated error for a prediction interval.
 *
 * <p>What it assumes: query lengths spread about their mean as {@link WhatIf#generate} draws them; requests time out at the server's
 * default 2 s and queue at its default capacity 256; the server runs on the CPUs the profile was
 * measured on.
 */
@SuppressWarnings("serial") // the Map fields hold EnumMap / LinkedHashMap: serializable
final class Simulated implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int SEEDS = 3;
    static final double SECONDS = 10;
    static final double CAPACITY_SECONDS = 10;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    static final int QUEUE_CAPACITY = 256;
    private static final double RHO_CAP = 0.95;
    private static final int MIN_ARRIVALS = 1_000;
    private static final int MAX_ARRIVALS = 20_000;

    /** Simulated percentiles of one query: median over the seeds, and the spread of their logs. */
    record Sim(double p50, double p95, double p99, double p50Spread, double p95Spread, double p99Spread) {
        double value(Target t) {
            return switch (t) {
                case P50 -> p50;
                case P95 -> p95;
                case P99 -> p99;
                case MAX_THROUGHPUT -> throw new IllegalArgumentException("capacity is not a percentile");
            };
        }

        double spread(Target t) {
            return switch (t) {
                case P50 -> p50Spread;
                case P95 -> p95Spread;
                case P99 -> p99Spread;
                case MAX_THROUGHPUT -> 0;
            };
        }
    }

    private final CallTimeModel profile;
    /** The work around the batcher, simulated on the server's CPUs when it was measured; {@link WhatIf.Outside#NONE} otherwise. */
    private final WhatIf.Outside outside;
    /** Without it measured: the time per request outside the batcher that max throughput implies, added to capacity only. */
    private final double impliedMillis;
    private final Map<Target, double[]> theta;

    /**
     * Simulations already run, by profile (its identity) and query, and capacities, by profile and
     * configuration with its query length: cross-validation refits the same simulations for every
     * target and fold, and a max-rate search asks for the same rates again. Pure functions of their
     * keys, so shared; bounded.
     */
    private static final Map<List<Object>, Sim> SIMS = lru(20_000);
    private static final Map<List<Object>, Double> CAPACITIES = lru(2_000);

    /** θ that leaves the simulated percentile as it is. */
    private static final double[] AS_SIMULATED = {0, 1, 0};

    private static <V> Map<List<Object>, V> lru(int size) {
        return Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<List<Object>, V> e) {
                return size() > size;
            }
        });
    }

    private Simulated(CallTimeModel profile, WhatIf.Outside outside, double impliedMillis, Map<Target, double[]> theta) {
        this.profile = profile;
        this.outside = outside;
        this.impliedMillis = impliedMillis;
        this.theta = theta;
    }

    /** Calibrates the simulation of {@code profile} on the observations. */
    static Simulated fit(CallTimeModel profile, List<Observation> observations) {
        Simulated raw = new Simulated(profile, WhatIf.Outside.NONE, 0, Map.of());
        Samples saturated = Samples.of(Target.MAX_THROUGHPUT, observations);
        Optional<WhatIf.Outside> measured = measuredOutside(observations, profile);
        double implied = 0;
        if (measured.isEmpty() && saturated.size() > 0) {
            double sum = 0;
            for (int i = 0; i < saturated.size(); i++) {
                Query q = saturated.queries().get(i);
                sum += 1000 / saturated.values()[i] - 1000 / raw.simulatedCapacity(q.config(), q.queryTokens());
            }
            implied = Math.max(0, sum / saturated.size());
        }
        WhatIf.Outside outside = measured.orElse(WhatIf.Outside.NONE);
        Simulated shape = new Simulated(profile, outside, implied, Map.of());
        Map<Target, double[]> theta = new EnumMap<>(Target.class);
        for (Target t : List.of(Target.P50, Target.P95, Target.P99)) {
            Samples s = Samples.forTraining(t, observations);
            if (s.size() < 5) {
                continue;
            }
            double[][] x = new double[s.size()][];
            double[] y = new double[s.size()];
            for (int i = 0; i < s.size(); i++) {
                x[i] = shape.x(t, s.queries().get(i));
                y[i] = Math.log(s.values()[i]);
            }
            theta.put(t, calibrates(s, x, y) ? Matrix.of(x).qr().solve(y) : AS_SIMULATED);
        }
        if (theta.isEmpty()) {
            throw AnalysisException.invalid("too few sustainable runs to calibrate the simulation");
        }
        return new Simulated(profile, outside, implied, theta);
    }

    /**
     * Whether calibrating beats the simulated percentile as it is on configurations the fit did
     * not see: θ fitted without each configuration in turn, its runs predicted both ways, the
     * mean absolute percentage errors compared. Noisy runs (a stall, a neighbour) can pull three
     * free parameters further from the truth than a simulation that measured the whole server is
     * from it; too few configurations to judge keep the calibration.
     */
    private static boolean calibrates(Samples s, double[][] x, double[] y) {
        List<Config> configs = s.queries().stream().map(Query::config).distinct().toList();
        if (configs.size() < 3) {
            return true;
        }
        double calibrated = 0;
        double simulated = 0;
        for (Config held : configs) {
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < s.size(); i++) {
                if (!s.queries().get(i).config().equals(held)) {
                    train.add(i);
                }
            }
            if (train.size() < x[0].length + 1) {
                return true;
            }
            double[] th = Matrix.of(train.stream().map(i -> x[i]).toArray(double[][]::new)).qr()
                    .solve(train.stream().mapToDouble(i -> y[i]).toArray());
            for (int i = 0; i < s.size(); i++) {
                if (s.queries().get(i).config().equals(held)) {
                    double truth = Math.exp(y[i]);
                    calibrated += Math.abs(Math.exp(dot(th, x[i])) - truth) / truth;
                    simulated += Math.abs(Math.exp(x[i][1]) - truth) / truth;
                }
            }
        }
        return calibrated <= simulated;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /**
     * The work around the batcher, from the runs that say their server's CPU. Its CPU: each stable
     * run's CPU per second less its calls' (calls per second times what the profile says a call of
     * the run's mean batch costs alone, on as many CPUs as its threads use: a call's own time in
     * the run is no measure, as work beside it stretches it), a least-squares line against the
     * rate, whose slope is the CPU per request and whose intercept the background (neither below
     * zero). Its time per request: at each configuration's least loaded run, the measured p50 less
     * the simulated batcher's (with that CPU beside it), as the exponential the simulation draws
     * puts a median at {@code ln 2} of its mean, and unstretched by the CPU the calls took; the
     * median over configurations. Empty when no run says its CPU.
     */
    static Optional<WhatIf.Outside> measuredOutside(List<Observation> observations, CallTimeModel profile) {
        int cores = Math.max(1, profile.cores());
        List<Observation> measured = observations.stream()
                .filter(o -> o.stable() && Double.isFinite(o.cpuMillis()) && o.hasServiceTime() && o.throughput() > 0).toList();
        if (measured.isEmpty()) {
            return Optional.empty();
        }
        double[] rate = measured.stream().mapToDouble(Observation::throughput).toArray();
        double[] perSecond = measured.stream()
                .mapToDouble(o -> o.throughput() * (o.cpuMillis() - callCpuMillis(profile, o, cores) / o.meanBatch())).toArray();
        double[] line = nonNegativeLine(rate, perSecond);
        WhatIf.Outside cpu = new WhatIf.Outside(line[1], line[0], 0, cores);
        Map<Config, Observation> quietest = new LinkedHashMap<>();
        measured.forEach(o -> quietest.merge(o.config(), o, (a, b) -> a.query().rate() <= b.query().rate() ? a : b));
        double[] latency = quietest.values().stream().filter(o -> Double.isFinite(o.p50())).mapToDouble(o -> {
            WhatIf.Served batcher = serve(profile, cpu, o.query(), 0);
            return Math.max(0, o.p50() - batcher.latencyMillis(50)) / Math.log(2) / (1 + batcher.modelShare());
        }).toArray();
        return Optional.of(new WhatIf.Outside(line[1], line[0], latency.length == 0 ? 0 : MathEx.median(latency), cores));
    }

    /** The CPU of one call of the run's mean batch alone, as the profile has it (between the whole batches about it). */
    private static double callCpuMillis(CallTimeModel profile, Observation o, int cores) {
        Config c = o.config();
        int tokens = (int) Math.max(1, Math.round(meanTokens(o.query().queryTokens())));
        int below = (int) Math.max(1, Math.floor(o.meanBatch()));
        double low = profile.millis(below, tokens, c.threads(), c.workers(), 1);
        double high = profile.millis(below + 1, tokens, c.threads(), c.workers(), 1);
        return (low + (high - low) * Math.max(0, o.meanBatch() - below)) * Math.min(c.threads(), cores);
    }

    /** The least-squares line {intercept, slope} through the points, with neither below zero (the other refitted alone). */
    static double[] nonNegativeLine(double[] x, double[] y) {
        double mx = MathEx.mean(x);
        double my = MathEx.mean(y);
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < x.length; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        double slope = sxx > 0 ? sxy / sxx : 0;
        double intercept = my - slope * mx;
        if (slope <= 0) {
            return new double[] {Math.max(0, my), 0};
        }
        if (intercept < 0) {
            double xx = 0;
            double xy = 0;
            for (int i = 0; i < x.length; i++) {
                xx += x[i] * x[i];
                xy += x[i] * y[i];
            }
            return new double[] {0, xx > 0 ? Math.max(0, xy / xx) : 0};
        }
        return new double[] {intercept, slope};
    }


    private double[] x(Target t, Query q) {
        double rho = Math.min(RHO_CAP, q.rate() / capacity(q.config(), q.queryTokens()));
        return new double[] {1, Math.log(simulate(q).value(t)), -Math.log(1 - rho)};
    }

    /** The work around the batcher the simulation runs beside it; {@link WhatIf.Outside#NONE} when the data did not measure it. */
    WhatIf.Outside outside() {
        return outside;
    }

    /** Without the work around the batcher measured: the time per request outside it that max throughput implies, ms; else 0. */
    double impliedMillis() {
        return impliedMillis;
    }

    double latency(Target t, Query q) {
        double[] th = theta.get(t);
        if (th == null) {
            throw new IllegalStateException("no " + t.label() + " was in the training data");
        }
        return Math.exp(dot(th, x(t, q)));
    }

    /** The spread of the simulated log percentile over seeds, scaled as the calibration scales it. */
    double spread(Target t, Query q) {
        double[] th = theta.get(t);
        return th == null ? 0 : Math.abs(th[1]) * simulate(q).spread(t);
    }

    /** Requests per second one replica sustains at most. */
    double capacity(Config c, double tokens) {
        return 1000 / (impliedMillis + 1000 / simulatedCapacity(c, tokens));
    }

    Sim simulate(Query q) {
        List<Object> key = List.of(profile, outside, q);
        Sim cached = SIMS.get(key);
        if (cached != null) {
            return cached;
        }
        double[][] logs = new double[3][SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            WhatIf.Served r = serve(profile, outside, q, seed);
            logs[0][seed] = Math.log(Math.max(1e-3, r.latencyMillis(50)));
            logs[1][seed] = Math.log(Math.max(1e-3, r.latencyMillis(95)));
            logs[2][seed] = Math.log(Math.max(1e-3, r.latencyMillis(99)));
        }
        Sim s = new Sim(Math.exp(MathEx.median(logs[0])), Math.exp(MathEx.median(logs[1])), Math.exp(MathEx.median(logs[2])),
                stdev(logs[0]), stdev(logs[1]), stdev(logs[2]));
        SIMS.put(key, s);
        return s;
    }

    /**
     * The sample standard deviation; 0, not NaN, for equal values (Smile's {@code MathEx.stdev}
     * takes the root of {@code E[x²] - E[x]²}, which rounds below zero for them: a simulated p50
     * that is one call's time at every seed gave an interval of NaN).
     */
    static double stdev(double[] x) {
        return Math.sqrt(Math.max(0, MathEx.var(x)));
    }

    /**
     * The highest rate the simulated server serves with at most 1% of requests shed or expired
     * ({@link WhatIf#maxThroughput}).
     */
    double simulatedCapacity(Config c, double tokens) {
        double len = meanTokens(tokens);
        List<Object> key = List.of(profile, outside, c, len);
        Double cached = CAPACITIES.get(key);
        if (cached != null) {
            return cached;
        }
        checkCpus(profile, c);
        double capacity = WhatIf.maxThroughput(profile, settings(c), len, outside);
        CAPACITIES.put(key, capacity);
        return capacity;
    }

    private static void checkCpus(CallTimeModel profile, Config c) {
        if (c.cpus() > 0 && profile.cores() > 0 && c.cpus() != profile.cores()) {
            throw AnalysisException.invalid("the call-time profile was measured on " + profile.cores() + " CPU(s), not the " + c.cpus()
                    + " the server runs on: profile it there (taskset -c ... recops bench --profile)");
        }
    }

    /** {@code q}'s Poisson arrivals ({@value #SECONDS} s of them, within bounds) through the simulated server. */
    private static WhatIf.Served serve(CallTimeModel profile, WhatIf.Outside outside, Query q, int seed) {
        Config c = q.config();
        checkCpus(profile, c);
        int n = Math.clamp(Math.round(q.rate() * SECONDS), MIN_ARRIVALS, MAX_ARRIVALS);
        List<BatchSimulation.Arrival> arrivals = WhatIf.generate(WhatIf.Process.POISSON, q.rate(), n / q.rate(), meanTokens(q.queryTokens()),
                REQUEST_TIMEOUT, Folds.SEED + seed);
        return WhatIf.serve(profile, settings(c), arrivals, outside);
    }

    private static WhatIf.Settings settings(Config c) {
        return new WhatIf.Settings(c.batchMax(), Duration.ofNanos(Math.round(c.batchDelayMillis() * 1e6)), c.workers(), c.threads(),
                QUEUE_CAPACITY, REQUEST_TIMEOUT);
    }

    /** The mean query length to simulate, to a tenth of a token (so that capacities are shared); 8 when unknown. */
    private static double meanTokens(double mean) {
        return Double.isFinite(mean) ? Math.max(1, Math.round(mean * 10) / 10.0) : 8;
    }

    /** One target of this model. */
    record ForTarget(Simulated model, Target target) implements Predictor {
        @Override
        public double predict(Query q) {
            return target.latency() ? model.latency(target, q) : model.capacity(q.config(), q.queryTokens());
        }

        @Override
        public double spread(Query q) {
            return target.latency() ? model.spread(target, q) : 0;
        }
    }
}
