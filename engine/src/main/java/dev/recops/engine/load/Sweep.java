package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import dev.recops.engine.serve.ServeOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * One parameter varied over runs: {@code rate=100..1000:100} (from, to, step) or
 * {@code concurrency=1,2,4,8} (a list). {@code rate} and {@code concurrency} change the load;
 * {@code batch-max}, {@code workers} and {@code threads} change how the engine serves, so they
 * need the engine started by bench itself.
 */
public record Sweep(String parameter, List<Double> values) {
    private static final List<String> PARAMETERS = List.of("rate", "concurrency", "batch-max", "workers", "threads");
    private static final int MAX_POINTS = 1_000;

    public Sweep {
        values = List.copyOf(values);
    }

    public static Sweep parse(String text) {
        String[] kv = text.split("=", 2);
        if (kv.length != 2 || !PARAMETERS.contains(kv[0].strip())) {
            throw bad(text, "expected PARAM=VALUES with PARAM one of " + String.join(", ", PARAMETERS));
        }
        String parameter = kv[0].strip();
        String spec = kv[1].strip();
        List<Double> values = new ArrayList<>();
        try {
            if (spec.contains("..")) {
                String[] range = spec.split("\\.\\.|:");
                if (range.length != 3) {
                    throw bad(text, "a range is FROM..TO:STEP");
                }
                double from = Double.parseDouble(range[0]);
                double to = Double.parseDouble(range[1]);
                double step = Double.parseDouble(range[2]);
                if (step <= 0 || to < from || (to - from) / step >= MAX_POINTS) {
                    throw bad(text, "the range must go up by a positive step, at most " + MAX_POINTS + " points");
                }
                for (int i = 0; from + i * step <= to + 1e-9; i++) {
                    values.add(from + i * step);
                }
            } else {
                for (String v : spec.split(",")) {
                    values.add(Double.parseDouble(v.strip()));
                }
            }
        } catch (NumberFormatException e) {
            throw bad(text, "values must be numbers");
        }
        if (values.isEmpty() || values.stream().anyMatch(v -> v <= 0)) {
            throw bad(text, "values must be positive");
        }
        if (!parameter.equals("rate") && values.stream().anyMatch(v -> v != Math.rint(v))) {
            throw bad(text, parameter + " takes whole numbers");
        }
        return new Sweep(parameter, values);
    }

    private static RecopsException.InvalidInput bad(String text, String why) {
        return new RecopsException.InvalidInput("bad_sweep", "invalid --sweep '" + text + "': " + why);
    }

    /** True when the parameter is a setting of the engine rather than of the load. */
    public boolean needsEngine() {
        return !parameter.equals("rate") && !parameter.equals("concurrency");
    }

    public LoadSpec applyTo(LoadSpec spec, double value) {
        return switch (parameter) {
            case "rate" -> spec.withRate(value);
            case "concurrency" -> spec.withConcurrency((int) value);
            default -> spec;
        };
    }

    public ServeOptions applyTo(ServeOptions o, double value) {
        int v = (int) value;
        return switch (parameter) {
            case "batch-max" -> new ServeOptions(o.host(), o.port(), o.modelRepo(), o.model(), o.primaryVersion(), o.catalog(), o.cacheDir(),
                    o.workers(), o.intraOpThreads(), OptionalInt.of(v), o.batchDelay(), o.queueCapacity(), o.requestTimeout(),
                    o.queryCacheBytes(), o.batchMaxTokens());
            case "workers" -> new ServeOptions(o.host(), o.port(), o.modelRepo(), o.model(), o.primaryVersion(), o.catalog(), o.cacheDir(),
                    v, o.intraOpThreads(), o.batchMax(), o.batchDelay(), o.queueCapacity(), o.requestTimeout(),
                    o.queryCacheBytes(), o.batchMaxTokens());
            case "threads" -> new ServeOptions(o.host(), o.port(), o.modelRepo(), o.model(), o.primaryVersion(), o.catalog(), o.cacheDir(),
                    o.workers(), v, o.batchMax(), o.batchDelay(), o.queueCapacity(), o.requestTimeout(),
                    o.queryCacheBytes(), o.batchMaxTokens());
            default -> o;
        };
    }
}
