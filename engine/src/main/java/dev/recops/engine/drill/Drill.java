package dev.recops.engine.drill;

import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.load.HttpTarget;
import dev.recops.engine.load.LoadRun;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.Target;
import dev.recops.engine.load.Workload;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs an experiment: brings up the target, starts open-loop load through it, checks the steady
 * state, runs the method (stopping early on a stop condition), watches until the steady state
 * holds again, always runs the rollbacks, checks the steady state after, and measures from what
 * the load's clients saw: time to detect, RTO, lost requests by kind, error budget burned.
 *
 * <p>Detection is the first sign after the fault: a probe failing over its window, a replica's
 * readiness flipping, or the load balancer marking a server down. Recovery is the latest of the
 * detection, the load balancer isolating a server, and the end of the last probe failure,
 * provided every probe then held for the hold time; RTO runs from the fault to it.
 */
public final class Drill {
    /**
     * @param serveCommand how to start {@code recops serve} for local replicas
     * @param modelRepo the model repository local replicas serve
     * @param catalog the catalog local replicas serve
     * @param work where local replicas, HAProxy and their logs live
     * @param workload the requests of the load (search queries)
     * @param rules the Prometheus rules a drill with alerting loads (the shipped deploy/prometheus/recops-rules.yml)
     * @param log progress lines for a person
     */
    public record Options(List<String> serveCommand, Path modelRepo, Path catalog, Path work, Workload.Spec workload, Path rules,
                          Consumer<String> log) {}

    private final Experiment e;
    private final Options options;
    private final List<Journal.Activity> activities = Collections.synchronizedList(new ArrayList<>());
    private final List<Journal.Event> timeline = Collections.synchronizedList(new ArrayList<>());
    private Observations seen;
    private Deployment deployment;
    private volatile String abortedBy;
    private AlertPipeline alerting;
    private final List<LoadRun> bursts = Collections.synchronizedList(new ArrayList<>());

    private Drill(Experiment e, Options options) {
        this.e = e;
        this.options = options;
    }

    public static Journal run(Experiment e, Options options) {
        return new Drill(e, options).run();
    }

    private void event(String what) {
        timeline.add(new Journal.Event(Instant.now(), what));
        options.log().accept(what);
    }

    private Journal run() {
        Instant started = Instant.now();
        deployment = switch (e.target()) {
            case Experiment.Target.Local l -> LocalDeployment.start(options.serveCommand(), l, options.work(), options.modelRepo(),
                    e.deploysCorrupted(), options.catalog(), e.damagesCatalog(), e.breaksNetwork(), options.log());
            case Experiment.Target.Url u -> new UrlDeployment(u.url(), u.adminUrls(), u.adminTokenFile());
            case Experiment.Target.Kubernetes k -> {
                KubernetesDeployment.requireReachable(k, KubernetesDeployment.Kubectl.SYSTEM, options.log());
                yield new KubernetesDeployment(k, KubernetesDeployment.Kubectl.SYSTEM);
            }
        };
        try (Deployment d = deployment; HttpTarget http = HttpTarget.connect(d.dataUrl())) {
            event("target up: " + d.dataUrl());
            if (e.alerting().isEmpty()) {
                return drive(started, http);
            }
            try (AlertPipeline a = AlertPipeline.start(options.work(), d.scrapeTargets(), options.rules(), ev -> {
                timeline.add(ev);
                options.log().accept(ev.what());
            }, options.log())) {
                alerting = a;
                return drive(started, http);
            }
        }
    }

    private Journal drive(Instant started, HttpTarget http) {
        long t0 = System.nanoTime();
        seen = new Observations(t0);
        Instant wallAtT0 = Instant.now();
        Workload workload = Workload.build(options.workload(), http.hostHeader());
        long timeoutNanos = e.load().timeout().toNanos();
        Target target = seen.recording(http, timeoutNanos);
        LoadRun load = new LoadRun(target, workload, loadSpec(e.load().rate(), Duration.ofHours(2)), Optional.empty(), p -> { });
        CompletableFuture<RunResult> loadDone = CompletableFuture.supplyAsync(load::run, r -> Thread.ofPlatform().name("drill-load").start(r));
        Monitor monitor = new Monitor(deployment, e, seen, this::event);
        Actions actions = new Actions(e, deployment, new Actions.Running() { // private to the drill, not Drill's API
            @Override
            public void pause(Duration d) {
                Drill.this.pause(d, true);
            }

            @Override
            public boolean aborted() {
                return abortedBy != null;
            }

            @Override
            public RunResult burst(double rate, Duration lasting) {
                return Drill.this.burst(rate, lasting);
            }
        });
        Thread watcher = Thread.ofPlatform().daemon().name("drill-watch").start(monitor);
        Instant faultAt = null;
        int methodEndSlot;
        int observeEndSlot;
        List<Journal.ProbeResult> before;
        List<Journal.ProbeResult> after;
        int beforeFrom;
        try {
            event(String.format(Locale.ROOT, "load started: %.1f requests/s", e.load().rate()));
            // the first half second warms connections up; the hypothesis is judged on the rest
            beforeFrom = seen.now() + 5;
            pause(e.steadyState().before().plusMillis(500), false);
            before = verdicts(beforeFrom, seen.now());
            boolean heldBefore = before.stream().allMatch(Journal.ProbeResult::held);
            event("steady state before: " + (heldBefore ? "held" : "failed " + failed(before)));
            List<CompletableFuture<Void>> background = new ArrayList<>();
            if (heldBefore) {
                for (Experiment.Step step : e.method()) {
                    if (abortedBy != null) {
                        break;
                    }
                    if (faultAt == null && !(step.action() instanceof Action.Pause)) {
                        faultAt = Instant.now();
                        event("fault: " + step.describe());
                    }
                    if (step.background()) {
                        background.add(CompletableFuture.runAsync(() -> activity(actions, "method", step), r -> Thread.ofPlatform().start(r)));
                    } else {
                        activity(actions, "method", step);
                    }
                }
                for (CompletableFuture<Void> f : background) {
                    awaitWatching(f);
                }
            }
            methodEndSlot = seen.now();
            if (heldBefore && abortedBy == null) {
                observe(methodEndSlot);
            }
            observeEndSlot = seen.now();
            for (Experiment.Step step : e.rollbacks()) {
                activity(actions, "rollback", step);
            }
            // from the next slot: the current one holds answers from before the rollbacks ended
            int afterFrom = seen.now() + 1;
            pause(e.steadyState().hold().plusMillis(Observations.SLOT_MS), false);
            after = verdicts(afterFrom, seen.now());
            event("steady state after: " + (after.stream().allMatch(Journal.ProbeResult::held) ? "held" : "failed " + failed(after)));
            if (alerting != null) {
                watchAlerts(faultAt != null ? faultAt : wallAtT0);
            }
        } finally {
            bursts.forEach(LoadRun::stop);
            load.stop();
            monitor.stop = true;
        }
        RunResult result = join(loadDone);
        try {
            watcher.join(2000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        event(String.format(Locale.ROOT, "load stopped: %d requests sent", result.sent()));
        List<Journal.Alert> alerts = alerting == null ? List.of() : alerting.alerts();
        Journal.Measurements m = measure(faultAt, observeEndSlot, wallAtT0, monitor, alerts);
        if (m.detectedAt() != null) {
            timeline.add(new Journal.Event(m.detectedAt(), "detected by the system: " + m.detectedBy()));
        } else {
            m.onlyByTheDrill().ifPresent(sg -> timeline.add(new Journal.Event(sg.at(),
                    "not detected by the system; only the drill's own " + sg.by().label + " saw it: " + sg.what())));
        }
        if (m.recoveredAt() != null) {
            timeline.add(new Journal.Event(m.recoveredAt(), "recovered: every probe held again"));
        }
        List<Journal.Event> sorted = new ArrayList<>(timeline);
        sorted.sort(Comparator.comparing(Journal.Event::at));
        List<Journal.ExpectationResult> expectations = new ArrayList<>();
        for (Experiment.Expectation x : e.expect()) {
            double v = switch (x.metric()) {
                case RTO -> m.rtoSeconds();
                case TIME_TO_DETECT -> m.timeToDetectSeconds();
                case TIME_TO_DETECT_BY_BALANCER -> m.secondsTo(Journal.Detector.BALANCER);
                case TIME_TO_DETECT_BY_READINESS -> m.secondsTo(Journal.Detector.READINESS);
                case TIME_TO_DETECT_BY_PROBE -> m.secondsTo(Journal.Detector.PROBE);
                case LOST_REQUESTS -> m.lost();
                case LOST_SHARE -> m.lostShare();
                case ERROR_BUDGET -> m.errorBudgetBurned();
                case P99 -> m.p99Ms();
                case TIME_TO_ALERT, TIME_TO_ALERT_PENDING, TIME_TO_NOTIFY, ALERTS_FIRED, TIME_TO_RESOLVE -> AlertMeasures.measure(x, alerts, m);
            };
            expectations.add(new Journal.ExpectationResult(x.text(), v, x.met(v)));
        }
        List<String> deviations = new ArrayList<>();
        if (before.stream().anyMatch(p -> !p.held())) {
            deviations.add("the steady state did not hold before the method (" + failed(before) + "); the method was not run");
        }
        if (abortedBy != null) {
            deviations.add("aborted: " + abortedBy);
        }
        activities.stream().filter(a -> !a.status().equals("succeeded"))
                .forEach(a -> deviations.add(a.phase() + " activity " + a.name() + " " + a.status() + ": " + a.output()));
        if (after.stream().anyMatch(p -> !p.held())) {
            deviations.add("the steady state did not hold after (" + failed(after) + ")");
        }
        expectations.stream().filter(x -> !x.met()).forEach(x -> deviations.add("expectation " + x.expect() + " not met: measured "
                + (Double.isFinite(x.measured()) ? Journal.num(x.measured()) : "nothing (never reached)")));
        return new Journal(e, started, Instant.now(), List.copyOf(activities), List.copyOf(sorted), m, before, after, expectations, deviations,
                alerts);
    }

    /**
     * After the steady state after, the load still running: until every alert expectation is
     * decided (each named alert fired and was notified, and resolved where resolution is
     * expected; never early for "no alert fires") or alerting.observe has passed since {@code from}.
     */
    private void watchAlerts(Instant from) {
        Instant until = from.plus(e.alerting().orElseThrow().observe());
        event("watching alerts until " + until + " (alerting.observe " + Experiment.format(e.alerting().get().observe()) + " after the fault)");
        while (Instant.now().isBefore(until) && abortedBy == null) {
            if (AlertMeasures.decided(e.expect(), alerting.alerts())) {
                return;
            }
            Poll.sleep(Duration.ofMillis(Observations.SLOT_MS));
            checkStops();
        }
    }

    private LoadSpec loadSpec(double rate, Duration duration) {
        int maxInFlight = (int) Math.max(64, Math.ceil(rate * e.load().timeout().toMillis() / 1000.0 * 2));
        return new LoadSpec(LoadSpec.Mode.OPEN, rate, LoadSpec.Arrivals.CONSTANT, 1, duration, Duration.ZERO, maxInFlight, e.load().timeout());
    }

    private static String failed(List<Journal.ProbeResult> results) {
        return results.stream().filter(p -> !p.held())
                .map(p -> p.probe() + " measured " + (Double.isFinite(p.value()) ? Journal.num(p.value()) : "nothing")).toList().toString();
    }

    private List<Journal.ProbeResult> verdicts(int from, int to) {
        Observations.Window w = seen.window(from, to);
        return e.steadyState().probes().stream().map(p -> {
            double v = w.value(p.metric());
            return new Journal.ProbeResult(p.text(), display(p, v), !Double.isNaN(v) && p.holds(v));
        }).toList();
    }

    /** A probe's value as its author wrote it: percent for shares. */
    private static double display(Experiment.Probe p, double v) {
        return p.metric().share() ? 100 * v : v;
    }

    private int windowSlots() {
        return (int) Math.max(1, e.steadyState().window().toMillis() / Observations.SLOT_MS);
    }

    /** Whether every probe holds over the window ending at slot {@code end} (exclusive). */
    private boolean holds(int end) {
        Observations.Window w = seen.window(Math.max(0, end - windowSlots()), end);
        return e.steadyState().probes().stream().allMatch(p -> {
            double v = w.value(p.metric());
            return !Double.isNaN(v) && p.holds(v);
        });
    }

    /** After the method: until every probe has held for the hold time, at most {@link DrillPlan#observeLimit}. */
    private void observe(int from) {
        int hold = (int) (e.steadyState().hold().toMillis() / Observations.SLOT_MS);
        long deadline = System.nanoTime() + DrillPlan.observeLimit(e).toNanos();
        while (System.nanoTime() < deadline && abortedBy == null) {
            int now = seen.now();
            boolean all = now - from >= hold;
            for (int i = Math.max(from, now - hold); all && i <= now; i++) {
                all = holds(i);
            }
            if (all) {
                return;
            }
            Poll.sleep(Duration.ofMillis(Observations.SLOT_MS));
            checkStops();
        }
        event("the steady state did not hold for " + Experiment.format(e.steadyState().hold()) + " within " + Experiment.format(DrillPlan.observeLimit(e))
                + " after the method");
    }

    /** Extra open-loop load, recorded with the drill's own, until it ends (an overload action). */
    private RunResult burst(double rate, Duration lasting) {
        try (HttpTarget http = HttpTarget.connect(deployment.dataUrl())) {
            LoadRun burst = new LoadRun(seen.recording(http, e.load().timeout().toNanos()), Workload.build(options.workload(), http.hostHeader()),
                    loadSpec(rate, lasting), Optional.empty(), p -> { });
            bursts.add(burst);
            return burst.run(); // its drops are in the observations, in the slots they were due in
        }
    }

    /** Sleeps in slots, checking the stop conditions (unless told not to, before the method). */
    private void pause(Duration d, boolean checkStops) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            Poll.sleep(Duration.ofMillis(Math.min(Observations.SLOT_MS, Math.max(1, (end - System.nanoTime()) / 1_000_000))));
            if (checkStops) {
                checkStops();
            }
        }
    }

    private void checkStops() {
        int now = seen.now();
        for (Experiment.StopCondition c : e.stopConditions()) {
            int slots = (int) Math.max(1, c.sustained().toMillis() / Observations.SLOT_MS);
            if (now < slots || abortedBy != null) {
                continue;
            }
            boolean met = true;
            for (int i = now - slots + 1; met && i <= now; i++) {
                double v = seen.window(Math.max(0, i - windowSlots()), i).value(c.when().metric());
                met = !Double.isNaN(v) && c.when().holds(v);
            }
            if (met) {
                abortedBy = "stop condition " + c.text();
                event("abort: " + c.text() + "; the rest of the method is skipped, the rollbacks run");
            }
        }
    }

    private void awaitWatching(CompletableFuture<?> f) {
        while (!f.isDone()) {
            try {
                f.get(Observations.SLOT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException ex) {
                checkStops();
            } catch (ExecutionException ex) {
                return; // recorded as the activity's failure
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new RecopsException.Cancelled("interrupted", "the drill was interrupted");
            }
        }
    }

    private void activity(Actions actions, String phase, Experiment.Step step) {
        Instant start = Instant.now();
        String status = "succeeded";
        String output;
        try {
            output = actions.act(step);
        } catch (Actions.ActivityFailed ex) {
            status = "failed";
            output = ex.getMessage();
        } catch (RuntimeException ex) {
            status = "failed";
            output = ex.getClass().getSimpleName() + ": " + ex.getMessage();
        }
        activities.add(new Journal.Activity(phase, step.describe(), start, Instant.now(), status, output));
        if (!(step.action() instanceof Action.Pause)) {
            event(phase + ": " + step.describe() + ": " + status + (output.isEmpty() ? "" : " (" + output + ")"));
        }
    }

    private Journal.Measurements measure(Instant faultAt, int observeEndSlot, Instant wallAtT0, Monitor monitor, List<Journal.Alert> alerts) {
        Observations.Window all = seen.window(0, Integer.MAX_VALUE); // drops included, in the slots they were due in
        TreeMap<String, Long> lost = new TreeMap<>(all.failures());
        long lostTotal = lost.values().stream().mapToLong(Long::longValue).sum();
        long requests = all.requests();
        double budget = e.steadyState().probes().stream().filter(p -> p.metric() == Experiment.Probe.Metric.ERRORS).mapToDouble(Experiment.Probe::bound)
                .filter(b -> b > 0).min().orElse(Double.NaN);
        double burned = requests == 0 ? 0 : ((double) lostTotal / requests) / budget;
        List<Journal.Sighting> sightings = new ArrayList<>();
        Instant recoveredAt = null;
        if (faultAt != null) {
            for (Journal.Detector d : List.of(Journal.Detector.BALANCER, Journal.Detector.READINESS)) {
                monitor.firstAfter(faultAt, d).ifPresent(c -> sightings.add(new Journal.Sighting(d, c.at(), c.what())));
            }
            sightings.addAll(AlertMeasures.sightings(alerts, faultAt));
            Optional<Monitor.Change> change = monitor.firstAfter(faultAt, null);
            Instant isolatedAt = sightings.stream().filter(sg -> sg.by() == Journal.Detector.BALANCER).map(Journal.Sighting::at).findFirst()
                    .orElse(null);
            Recovery r = Recovery.measure(this::holds, millisFrom(wallAtT0, faultAt), observeEndSlot,
                    (int) (e.steadyState().hold().toMillis() / Observations.SLOT_MS),
                    change.map(c -> millisFrom(wallAtT0, c.at())).orElse(Recovery.NEVER),
                    isolatedAt == null ? Recovery.NEVER : millisFrom(wallAtT0, isolatedAt));
            if (r.probeMs() != Recovery.NEVER) {
                sightings.add(new Journal.Sighting(Journal.Detector.PROBE, wallAtT0.plusMillis(r.probeMs()), "a probe failed over its window"));
            }
            recoveredAt = r.recoveredMs() == Recovery.NEVER ? null : wallAtT0.plusMillis(r.recoveredMs());
            if (recoveredAt != null && isolatedAt != null && recoveredAt.isBefore(isolatedAt)) {
                recoveredAt = isolatedAt; // the slots are whole milliseconds from the start; never report recovery before isolation
            }
        }
        return new Journal.Measurements(faultAt, sightings, recoveredAt, requests, lostTotal, lost, burned, all.p99());
    }

    private static long millisFrom(Instant wallAtT0, Instant t) {
        return Math.max(0, Duration.between(wallAtT0, t).toMillis());
    }

    private static RunResult join(CompletableFuture<RunResult> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new RecopsException.Cancelled("interrupted", "the drill was interrupted");
        } catch (ExecutionException | TimeoutException ex) {
            throw new RecopsException.Failure("load_failed", "the drill's load failed: " + ex.getMessage(), ex);
        }
    }
}
