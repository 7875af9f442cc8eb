package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.telemetry.ServerMetrics;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses the version that answers a request: the one it names, else the canary for the
 * canary's share of routing keys, else the primary; and leases it for the request's duration.
 * Keeps each version's window of latencies and errors for automatic canary analysis.
 * Thread-safe; no lock on the request path.
 */
final class Router {
    private final VersionRegistry registry;
    private final String model;
    private final Map<String, CanaryAnalysis.Window> windows = new ConcurrentHashMap<>();
    private volatile CanaryAnalysis.Verdict lastVerdict;

    Router(VersionRegistry registry, String model) {
        this.registry = registry;
        this.model = model;
    }

    /**
     * @return a lease on the chosen version; close it when the request is done with the version
     * @throws RecopsException.Unavailable before a primary serves
     * @throws RecopsException.NotFound when the named version is not loaded
     */
    ServedVersion.Lease route(Queries.Target target) {
        while (true) {
            ServedVersion.Lease lease = choose(registry.current(), target).lease();
            if (lease != null) {
                return lease;
            }
            // Retired between reading the state and leasing: the state read next no longer has it.
            Thread.onSpinWait();
        }
    }

    private ServedVersion choose(VersionRegistry.State s, Queries.Target target) {
        if (s.primary().isEmpty()) {
            throw new RecopsException.Unavailable("not_ready", "the model is still loading");
        }
        String version = target.version();
        if (version.isEmpty()) {
            TrafficPolicy p = s.policy();
            ServedVersion canary = p.toCanary(target.routingKey()) ? s.versions().get(p.canaryVersion()) : null;
            return canary != null ? canary : s.versions().get(s.primary());
        }
        ServedVersion v = s.versions().get(version);
        if (v == null) {
            throw new RecopsException.NotFound("version_not_found",
                    "model " + model + " has no loaded version " + version + " (loaded: " + String.join(", ", s.names()) + ")");
        }
        return v;
    }

    /** A lease on the shadow version for a search answered by {@code answered}; null when there is none to shadow. */
    ServedVersion.Lease shadowOf(String answered) {
        VersionRegistry.State s = registry.current();
        String shadow = s.policy().shadowVersion();
        ServedVersion v = shadow.isEmpty() || shadow.equals(answered) ? null : s.versions().get(shadow);
        return v == null ? null : v.lease();
    }

    /**
     * Counts a search in its version's canary-analysis window; its latency only when
     * {@code byTheModel} (see {@link CanaryAnalysis.Window#record}).
     */
    void record(String version, long nanos, boolean error, boolean byTheModel) {
        windows.computeIfAbsent(version, x -> new CanaryAnalysis.Window()).record(nanos, error, byTheModel);
    }

    /** Starts automatic canary analysis; it stops when the returned thread is interrupted. */
    Thread analyse(CanaryAnalysis settings, ServerMetrics metrics) {
        return settings.start(windows, () -> registry.current().primary(), () -> registry.current().policy(), registry::dropCanary, metrics,
                v -> lastVerdict = v);
    }

    /** The automatic canary analysis's latest decision, if it made one. */
    Optional<CanaryAnalysis.Verdict> lastVerdict() {
        return Optional.ofNullable(lastVerdict);
    }
}
