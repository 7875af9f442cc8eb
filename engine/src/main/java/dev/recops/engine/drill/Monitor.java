package dev.recops.engine.drill;

import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.telemetry.PrometheusText;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Polls readiness (every replica), the load balancer's view and the degraded share while a drill
 * runs, and notes every change on the timeline.
 */
final class Monitor implements Runnable {
    /** Searches answered and searches degraded: the degraded share is of searches, not of health checks. */
    private static final Map<String, String> SEARCHES = Map.of("endpoint", "search");

    /** A change on the timeline; {@code sign} names the detector when it is a sign of a fault (not ready, marked DOWN), else null. */
    record Change(Instant at, String what, Journal.Detector sign) {}

    volatile boolean stop;
    private final List<Change> changes = Collections.synchronizedList(new ArrayList<>());
    private final Deployment deployment;
    private final Experiment e;
    private final Observations seen;
    private final Consumer<String> event;

    /** @param event notes a change on the drill's timeline */
    Monitor(Deployment deployment, Experiment e, Observations seen, Consumer<String> event) {
        this.deployment = deployment;
        this.e = e;
        this.seen = seen;
        this.event = event;
    }

    /** The first change after {@code t} that {@code by} would notice as a fault; any change for null. */
    Optional<Change> firstAfter(Instant t, Journal.Detector by) {
        synchronized (changes) {
            return changes.stream().filter(c -> c.at().isAfter(t) && (by == null || c.sign() == by)).findFirst();
        }
    }

    @Override
    public void run() {
        List<String> ready = deployment.readinessUrls();
        boolean[] was = new boolean[ready.size()];
        Arrays.fill(was, true);
        Map<String, String> lb = deployment.balancerView();
        double[] lastCounts = null;
        long lastMetrics = 0;
        boolean wantDegraded = e.steadyState().probes().stream().anyMatch(p -> p.metric() == Experiment.Probe.Metric.DEGRADED);
        while (!stop) {
            long begin = System.nanoTime();
            List<CompletableFuture<Boolean>> checks = ready.stream()
                    .map(u -> CompletableFuture.supplyAsync(() -> AdminClient.get(u, Duration.ofMillis(300)).ok(),
                            r -> Thread.ofVirtual().start(r)))
                    .toList();
            int count = 0;
            for (int i = 0; i < checks.size(); i++) {
                boolean ok = checks.get(i).join();
                count += ok ? 1 : 0;
                if (ok != was[i]) {
                    change((ready.size() == 1 ? "target" : "replica " + (i + 1)) + (ok ? " ready again" : " not ready"),
                            ok ? null : Journal.Detector.READINESS);
                    was[i] = ok;
                }
            }
            seen.ready(count);
            Map<String, String> view = deployment.balancerView();
            for (Map.Entry<String, String> s : view.entrySet()) {
                String before = lb.get(s.getKey());
                String now = s.getValue().split(" ")[0];
                if (before != null && !before.split(" ")[0].equals(now)) {
                    change(deployment.balancerName() + " marked " + s.getKey() + " " + now, now.equals("DOWN") ? Journal.Detector.BALANCER : null);
                }
            }
            if (!view.isEmpty()) {
                lb = view;
            }
            if (wantDegraded && System.nanoTime() - lastMetrics > 500_000_000L) {
                lastMetrics = System.nanoTime();
                double[] counts = metrics();
                if (lastCounts != null && counts[1] > lastCounts[1]) {
                    seen.degraded((counts[0] - lastCounts[0]) / (counts[1] - lastCounts[1]));
                }
                lastCounts = counts;
            }
            long left = Observations.SLOT_MS - (System.nanoTime() - begin) / 1_000_000;
            if (left > 0) {
                try {
                    Thread.sleep(left);
                } catch (InterruptedException ex) {
                    return;
                }
            }
        }
    }

    private void change(String what, Journal.Detector sign) {
        changes.add(new Change(Instant.now(), what, sign));
        event.accept(what);
    }

    /** Degraded answers and requests, summed over the replicas that answer. */
    private double[] metrics() {
        double[] sum = new double[2];
        for (String u : deployment.metricsUrls()) {
            AdminClient.Answer a = AdminClient.get(u, Duration.ofMillis(300));
            if (a.ok()) {
                addSearchCounts(a.body(), sum);
            }
        }
        return sum;
    }

    /**
     * Adds one replica's degraded searches to {@code sum[0]} and its searches to {@code sum[1]}:
     * the degraded share is of searches only, never of the health checks and metric scrapes that
     * the drill and the balancer send (counting those read a third of the true share).
     */
    static void addSearchCounts(String exposition, double[] sum) {
        List<PrometheusText.Sample> samples = PrometheusText.parse(exposition);
        sum[0] += PrometheusText.sum(samples, "recops_degraded_total", SEARCHES);
        sum[1] += PrometheusText.sum(samples, "recops_requests_total", SEARCHES);
    }
}
