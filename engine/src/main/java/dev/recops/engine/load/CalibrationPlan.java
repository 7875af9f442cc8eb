package dev.recops.engine.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a calibration measures ({@link Calibration} runs it): its configurations, its steps and
 * how long they take, and the plan a budget fits.
 *
 * @param url a server the user runs (its configuration is the only one), or empty: recops
 *     starts {@code recops serve} per configuration
 * @param measureProfile whether to measure the call-time profile (in-process, on the server's CPUs)
 * @param fractions of each configuration's capacity, where the runs are made
 * @param repeats runs at each fraction
 * @param finds capacity searches per configuration (their median is the capacity)
 */
public record CalibrationPlan(Optional<String> url, List<ServerConfig> configs, boolean measureProfile, List<Double> fractions, int repeats,
                              Duration runLength, Duration probeLength, Duration warmup, int finds) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The configurations a budget draws from, in order: varied first (batching, workers, threads), then filled in. */
    static final List<String> CANDIDATES = List.of("8/1/1", "1/1/1", "32/2/1", "4/2/1", "16/1/1", "2/1/1", "16/2/1", "8/2/1", "32/1/1",
            "2/2/1", "8/1/2", "16/1/2");
    /** Configurations and repeats a budget grows through, in this order: configurations first, as they narrow the error most. */
    private static final int[][] GROWTH = {{3, 1}, {4, 1}, {5, 1}, {6, 1}, {6, 2}, {7, 2}, {8, 2}, {8, 3}, {10, 3}, {12, 3}};
    /** The rate, per second, a capacity search starts from, and the warm-up's. */
    static final String CAPACITY_START = "200";

    /** Fewest configurations a model can be fitted and judged on (each fold learns from at least two). */
    static final int MIN_CONFIGS = 3;
    /** A find-max-rate search takes about this many probes (doubling from 200/s, then bisecting to 5%). */
    private static final int PROBES_PER_SEARCH = 7;
    private static final Duration PROFILE_ESTIMATE = Duration.ofSeconds(180);
    private static final Duration SERVER_START_ESTIMATE = Duration.ofSeconds(10);
    private static final Duration PROCESS_START = Duration.ofMillis(1500);

    /** Closed-loop clients that keep every worker's batches full while a server warms up: two batches per worker. */
    static int warmupClients(ServerConfig c) {
        return Math.min(256, 2 * c.batchMax() * c.workers());
    }

    public CalibrationPlan {
        configs = List.copyOf(configs);
        fractions = List.copyOf(fractions);
        if (url.isEmpty() && configs.size() < MIN_CONFIGS) {
            throw new RecopsException.InvalidInput("bad_calibration", "a calibration needs at least " + MIN_CONFIGS + " configurations: cross-validation learns from "
                    + "two and judges the third");
        }
        if (fractions.isEmpty() || fractions.stream().anyMatch(f -> !(f > 0 && f <= 1))) {
            throw new RecopsException.InvalidInput("bad_calibration", "fractions of capacity are numbers in (0, 1], like 0.25,0.5,0.8");
        }
        if (repeats < 1 || finds < 1) {
            throw new RecopsException.InvalidInput("bad_calibration", "repeats and capacity searches are at least 1");
        }
        if (runLength.toMillis() < 1000 || probeLength.toMillis() < 1000) {
            throw new RecopsException.InvalidInput("bad_calibration", "runs and capacity probes last at least 1s");
        }
    }

    /** Every step, in the order run. */
    public List<Step> steps() {
        List<Step> steps = new ArrayList<>();
        if (measureProfile) {
            steps.add(new Step.Profile());
        }
        for (ServerConfig c : url.isPresent() ? List.of(ServerConfig.THEIRS) : configs) {
            for (int i = 1; i <= finds; i++) {
                steps.add(new Step.Capacity(c, i));
            }
            for (double f : fractions) {
                for (int r = 1; r <= repeats; r++) {
                    steps.add(new Step.Run(c, f, r));
                }
            }
        }
        return steps;
    }

    /** How long a step is expected to take (a server start counted with a configuration's first step). */
    Duration estimate(Step s) {
        Duration runWarmup = min(Duration.ofSeconds(5), runLength);
        Duration probeWarmup = min(Duration.ofSeconds(3), probeLength);
        return switch (s) {
            case Step.Profile p -> PROFILE_ESTIMATE;
            case Step.Capacity c -> (c.find() == 1 && url.isEmpty() ? SERVER_START_ESTIMATE.plus(warmup).plus(PROCESS_START) : Duration.ZERO)
                    .plus(probeLength.plus(probeWarmup).plus(PROCESS_START).multipliedBy(PROBES_PER_SEARCH));
            case Step.Run r -> runLength.plus(runWarmup).plus(PROCESS_START);
        };
    }

    public Duration estimate() {
        return steps().stream().map(this::estimate).reduce(Duration.ZERO, Duration::plus);
    }

    /**
     * How each step is measured, which a directory's runs must share to be one data set;
     * which configurations and how many repeats may grow (a larger budget, more --configs
     * in the same directory measures only what is new).
     */
    JsonNode method() {
        ObjectNode n = JSON.createObjectNode();
        n.put("url", url.orElse(""));
        n.put("profile", measureProfile);
        fractions.forEach(f -> n.withArray("fractions").add(f));
        n.put("run_length_ms", runLength.toMillis()).put("probe_length_ms", probeLength.toMillis()).put("warmup_ms", warmup.toMillis())
                .put("finds", finds);
        return n;
    }

    /** The plan as a person reads it before it starts. */
    public List<String> describe(Calibration.Pinning pinning) {
        List<String> lines = new ArrayList<>();
        lines.add(url.map(u -> "the server at " + u + " as it is configured").orElse(
                configs.size() + " configurations (batch-max/workers/threads): " + String.join(", ", configs.stream().map(Object::toString).toList())));
        lines.add(pinning.describe());
        if (measureProfile) {
            lines.add("the model's call-time profile, in-process on the server's CPUs (about " + format(PROFILE_ESTIMATE) + ")");
        }
        lines.add(String.format(Locale.ROOT, "per configuration: %s of warm-up (a third at " + CAPACITY_START + "/s, then full batches), %d capacity search%s (find-max-rate, errors<=1%%, %s probes), "
                        + "then %d run%s of %s at each of %s of capacity", format(warmup), finds, finds == 1 ? "" : "es", format(probeLength),
                repeats, repeats == 1 ? "" : "s", format(runLength),
                String.join(", ", fractions.stream().map(f -> String.format(Locale.ROOT, "%.0f%%", 100 * f)).toList())));
        lines.add(String.format(Locale.ROOT, "%d steps, about %s in all", steps().size(), format(estimate())));
        return lines;
    }

    /** One server configuration: batch-max / workers / threads. */
    public record ServerConfig(int batchMax, int workers, int threads) {
        public static ServerConfig parse(String s) {
            String[] p = s.strip().split("/");
            try {
                if (p.length == 3) {
                    ServerConfig c = new ServerConfig(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
                    if (c.batchMax >= 1 && c.batchMax <= 1024 && c.workers >= 1 && c.workers <= 64 && c.threads >= 1 && c.threads <= 64) {
                        return c;
                    }
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new RecopsException.InvalidInput("bad_calibration", "configuration \"" + s + "\" is not BATCH_MAX/WORKERS/THREADS like 8/1/1");
        }

        /** The configuration of a server the user runs: whatever it is. */
        static final ServerConfig THEIRS = new ServerConfig(0, 0, 0);

        @Override
        public String toString() {
            return batchMax == 0 ? "the server" : batchMax + "/" + workers + "/" + threads;
        }
    }

    /** The configurations and repeats that fit a budget, from the candidates that suit the server's CPUs. */
    public static CalibrationPlan forBudget(Duration budget, int serverCpus, boolean measureProfile, List<Double> fractions, Duration runLength,
            Duration probeLength, Duration warmup, int finds) {
        List<ServerConfig> fit = CANDIDATES.stream().map(ServerConfig::parse).filter(c -> c.threads() <= Math.max(1, serverCpus)).toList();
        CalibrationPlan best = null;
        for (int[] g : GROWTH) {
            if (g[0] > fit.size()) {
                break;
            }
            CalibrationPlan p = new CalibrationPlan(Optional.empty(), fit.subList(0, g[0]), measureProfile, fractions, g[1], runLength, probeLength, warmup, finds);
            if (p.estimate().compareTo(budget) > 0) {
                break;
            }
            best = p;
        }
        if (best == null) {
            CalibrationPlan least = new CalibrationPlan(Optional.empty(), fit.subList(0, MIN_CONFIGS), measureProfile, fractions, 1, runLength, probeLength, warmup,
                    finds);
            throw new RecopsException.InvalidInput("bad_calibration", "--budget " + format(budget) + " is less than the smallest calibration (" + MIN_CONFIGS
                    + " configurations, 1 run each): about " + format(least.estimate()) + "; give more, or a shorter --run-length");
        }
        return best;
    }

    /** One step of a calibration; {@link #key()} names it in the journal. */
    public sealed interface Step {
        String key();

        String describe();

        record Profile() implements Step {
            public String key() {
                return "profile";
            }

            public String describe() {
                return "call-time profile";
            }
        }

        record Capacity(ServerConfig config, int find) implements Step {
            public String key() {
                return "capacity " + config + " " + find;
            }

            public String describe() {
                return config + ": capacity search " + find;
            }
        }

        record Run(ServerConfig config, double fraction, int repeat) implements Step {
            public String key() {
                return String.format(Locale.ROOT, "run %s %.4f %d", config, fraction, repeat);
            }

            public String describe() {
                return String.format(Locale.ROOT, "%s: run %d at %.0f%% of capacity", config, repeat, 100 * fraction);
            }
        }
    }

    static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** 90s as "1m30s", 20m as "20m". */
    public static String format(Duration d) {
        long s = Math.round(d.toMillis() / 1000.0);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 == 0 ? "" : String.format(Locale.ROOT, "%02ds", s % 60));
        }
        return s / 3600 + "h" + String.format(Locale.ROOT, "%02dm", (s % 3600) / 60);
    }
}
