package dev.recops.engine.drill;

import dev.recops.engine.admin.AdminClient;

import java.util.List;
import java.util.Map;

/** What a drill acts on: where traffic goes, the admin APIs, and for a local target the processes. */
interface Deployment extends AutoCloseable {
    /** The data plane every request of the load goes to (HAProxy's frontend for a local target). */
    String dataUrl();

    /** The admin API of each replica (local; kubernetes, through a port-forward per pod), or those the experiment names (url). */
    List<AdminClient> admins();

    /** Readiness URLs to watch, one per replica (local) or the target's own. */
    List<String> readinessUrls();

    /** The load balancer's view, server name to UP/DOWN/MAINT..., or empty when there is none to ask. */
    Map<String, String> balancerView();

    /** Who keeps that view, as the timeline says it: "haproxy", "the endpoints of service recops-serve". */
    default String balancerName() {
        return "the balancer";
    }

    /** Prometheus expositions to read the degraded share from. */
    List<String> metricsUrls();

    /** What a drill's own Prometheus scrapes: job name to host:port targets; empty when the drill does not own the deployment. */
    default Map<String, List<String>> scrapeTargets() {
        return Map.of();
    }

    /** SIGKILL, SIGSTOP, SIGCONT, restart: only a local target owns processes. */
    default String kill(int replica) {
        throw new UnsupportedOperationException("kill_replica needs a local target");
    }

    default String pause(int replica) {
        throw new UnsupportedOperationException("pause_replica needs a local target");
    }

    default String resume(int replica) {
        throw new UnsupportedOperationException("resume_replica needs a local target");
    }

    default String restart(int replica) {
        throw new UnsupportedOperationException("restart_replica needs a local target");
    }

    /** Breaks (or, with {@link FaultProxy.Fault#NONE}, mends) the link between the balancer and a replica. */
    default String network(int replica, FaultProxy.Fault fault) {
        throw new UnsupportedOperationException("network faults need a local target");
    }

    /** Writes a corrupted copy of the primary version as {@code version} where the replicas can load it. */
    default String plantCorrupted(String version) {
        throw new UnsupportedOperationException("deploy_corrupted needs a local target");
    }

    /** Makes the replicas' catalog file {@code missing} or {@code corrupt}; {@link #restoreCatalog} undoes it. */
    default String damageCatalog(String how) {
        throw new UnsupportedOperationException("damaging the catalog needs a local target");
    }

    default void restoreCatalog() {
        throw new UnsupportedOperationException("damaging the catalog needs a local target");
    }

    @Override
    void close();
}
