package dev.recops.engine.drill;

import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.load.HttpTarget;
import dev.recops.engine.load.LoadRun;
import dev.recops.engine.load.LoadSpec;
import dev.recops.engine.load.RunResult;
import dev.recops.engine.load.Target;
import dev.recops.engine.load.Workload;
import dev.recops.engine.telemetry.PrometheusText;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;

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
    /** Searches answered and searches degraded: the degraded share is of searches, not of health checks. */
    private static final Map<String, String> SEARCHES = Map.of("endpoint", "search");

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

    /** What the drill would do, for {@code --dry-run}. */
    public static List<String> plan(Experiment e) {
        List<String> plan = new ArrayList<>();
        Experiment.Target t = e.target();
        plan.add(switch (t) {
            case Experiment.Target.Local l -> "start " + l.replicas() + " recops serve replicas on free loopback ports"
                    + (l.serveArgs().isEmpty() ? "" : " with " + String.join(" ", l.serveArgs()))
                    + ", HAProxy in front (health checks on /v2/health/ready; " + l.balancer() + ")"
                    + (e.breaksNetwork() ? ", a TCP fault proxy between HAProxy and each replica" : "");
            case Experiment.Target.Url u -> "use the deployment at " + u.url() + (u.adminUrls().isEmpty() ? "" : ", admin APIs " + u.adminUrls());
            case Experiment.Target.Kubernetes k -> "use the deployment at " + k.url() + (k.adminUrls().isEmpty() ? "" : ", admin APIs " + k.adminUrls())
                    + "; replicas 1.." + k.replicas() + " are the running pods of kubectl " + String.join(" ", KubernetesDeployment.scope(k))
                    + " get pods -l " + k.selector() + " in name order when each action runs"
                    + (k.service().isEmpty() ? "" : "; the balancer's view is service " + k.service() + "'s EndpointSlices");
        });
        plan.add(String.format(Locale.ROOT, "send %.1f search requests/s, open loop, timeout %s, for the whole drill", e.load().rate(),
                Experiment.format(e.load().timeout())));
        Experiment.SteadyState s = e.steadyState();
        plan.add("check the steady state for " + Experiment.format(s.before()) + ": " + s.probes().stream().map(Experiment.Probe::text).toList()
                + " over " + Experiment.format(s.window()) + " windows");
        e.method().forEach(m -> plan.add("method: " + m.describe() + kubectl(t, m) + "  (" + m.where() + ")"));
        plan.add("watch until the steady state holds for " + Experiment.format(s.hold()) + " (at most " + Experiment.format(observeLimit(e)) + ")");
        e.rollbacks().forEach(m -> plan.add("rollback: " + m.describe() + kubectl(t, m) + "  (" + m.where() + ")"));
        plan.add("check the steady state for " + Experiment.format(s.hold()) + " after");
        e.stopConditions().forEach(c -> plan.add("abort when " + c.text()));
        e.alerting().ifPresent(a -> plan.add("alongside: Prometheus (scrape and evaluate every 1s) with the shipped rules over the replicas and "
                + "HAProxy, Alertmanager to a webhook in the drill; after the steady state after, keep the load and watch alerts until the "
                + "alert expectations are decided, at most " + Experiment.format(a.observe()) + " after the fault"));
        e.expect().forEach(x -> plan.add("expect " + x.text()));
        if (t.local()) {
            plan.add("stop HAProxy and the replicas");
        }
        return plan;
    }

    /** For a kubernetes target, the exact kubectl command a process action runs (POD_N: the replica's pod at that moment). */
    private static String kubectl(Experiment.Target t, Experiment.Step m) {
        if (!(t instanceof Experiment.Target.Kubernetes k)) {
            return "";
        }
        if (!(m.action() instanceof Action.OnProcess a)) {
            int replica = switch (m.action()) {
                case Action.InjectFault f -> f.replica();
                case Action.ClearFaults c -> c.replica();
                case Action.Rollback _, Action.HotSwap _, Action.ReloadCatalog _ -> 0;
                default -> -1;
            };
            if (replica < 0 || !k.adminUrls().isEmpty()) {
                return "";
            }
            return (replica == 0 ? ": each pod's admin API (POD_1..POD_" + k.replicas() + ")" : ": the admin API")
                    + " through " + KubernetesDeployment.shell(KubernetesDeployment.forward(k, replica == 0 ? "POD_N" : "POD_" + replica))
                    + (k.adminTokenFile() == null ? ", token from the Secret " + k.adminSecret() : "");
        }
        String pod = "POD_" + Math.max(1, a.replica());
        String run = KubernetesDeployment.shell(KubernetesDeployment.command(k, a.name(), pod));
        if (a instanceof Action.PauseReplica p && p.lasting() != null) {
            run += ", then after " + Experiment.format(p.lasting()) + " " + KubernetesDeployment.shell(KubernetesDeployment.command(k, "resume_replica", pod));
        }
        if (a instanceof Action.RestartReplica) {
            run += ", then until " + k.replicas() + " pods are Ready, " + pod + " not among them";
        }
        return ": " + run;
    }

    private static Duration observeLimit(Experiment e) {
        return Duration.ofMillis(Math.max(15_000, 10 * e.steadyState().hold().toMillis()));
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
        Monitor monitor = new Monitor();
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
                        background.add(CompletableFuture.runAsync(() -> activity("method", step), r -> Thread.ofPlatform().start(r)));
                    } else {
                        activity("method", step);
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
                activity("rollback", step);
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
                case TIME_TO_ALERT, TIME_TO_ALERT_PENDING, TIME_TO_NOTIFY, ALERTS_FIRED, TIME_TO_RESOLVE -> alertMeasure(x, alerts, m);
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
     * time_to_alert, time_to_alert_pending, time_to_notify: seconds from the fault to the first
     * firing, pending or notification of the named alert (any alert when none is named), NaN if
     * none happened; alerts_fired: how many fired; time_to_resolve: the
     * longest time from the recovery (else the fault) to a fired alert's resolution, NaN while one
     * is unresolved.
     */
    static double alertMeasure(Experiment.Expectation x, List<Journal.Alert> alerts, Journal.Measurements m) {
        List<Journal.Alert> fired = alerts.stream().filter(a -> a.firingAt() != null).toList();
        return switch (x.metric()) {
            case TIME_TO_ALERT -> first(alerts, x, Journal.Alert::firingAt, m.faultAt());
            case TIME_TO_ALERT_PENDING -> first(alerts, x, Journal.Alert::pendingAt, m.faultAt());
            case TIME_TO_NOTIFY -> first(alerts, x, Journal.Alert::notifiedAt, m.faultAt());
            case ALERTS_FIRED -> fired.size();
            case TIME_TO_RESOLVE -> {
                Instant from = m.recoveredAt() != null ? m.recoveredAt() : m.faultAt();
                double worst = 0;
                for (Journal.Alert a : fired) {
                    worst = Math.max(worst, a.resolvedAt() == null ? Double.NaN : Journal.Alert.seconds(from, a.resolvedAt()));
                }
                yield worst;
            }
            default -> throw new IllegalArgumentException(x.metric() + " is not about alerts");
        };
    }

    /** Seconds from the fault to the earliest {@code when} of the alerts the expectation concerns, at or after the fault; NaN if none. */
    private static double first(List<Journal.Alert> alerts, Experiment.Expectation x, Function<Journal.Alert, Instant> when,
            Instant faultAt) {
        return alerts.stream().filter(a -> x.concerns(a.name()) && when.apply(a) != null && faultAt != null && !when.apply(a).isBefore(faultAt))
                .mapToDouble(a -> Journal.Alert.seconds(faultAt, when.apply(a))).min().orElse(Double.NaN);
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
            if (alertsDecided(alerting.alerts())) {
                return;
            }
            Poll.sleep(Duration.ofMillis(Observations.SLOT_MS));
            checkStops();
        }
    }

    private boolean alertsDecided(List<Journal.Alert> alerts) {
        List<Experiment.Expectation> about = e.expect().stream().filter(Experiment.Expectation::aboutAlerts).toList();
        boolean resolve = false;
        for (Experiment.Expectation x : about) {
            switch (x.metric()) {
                case ALERTS_FIRED -> {
                    return false; // "none fired" is only known at the end
                }
                case TIME_TO_ALERT -> {
                    // fired and delivered: the time to notify is part of the answer
                    if (alerts.stream().noneMatch(a -> x.concerns(a.name()) && a.firingAt() != null
                            && a.notifiedAt() != null)) {
                        return false;
                    }
                }
                case TIME_TO_ALERT_PENDING, TIME_TO_NOTIFY, TIME_TO_RESOLVE -> resolve = true;
                default -> throw new IllegalStateException(x.metric() + " is not about alerts");
            }
        }
        return !about.isEmpty() && (!resolve || alerts.stream().allMatch(a -> a.firingAt() == null || a.resolvedAt() != null));
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

    /** After the method: until every probe has held for the hold time, at most {@link #observeLimit}. */
    private void observe(int from) {
        int hold = (int) (e.steadyState().hold().toMillis() / Observations.SLOT_MS);
        long deadline = System.nanoTime() + observeLimit(e).toNanos();
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
        event("the steady state did not hold for " + Experiment.format(e.steadyState().hold()) + " within " + Experiment.format(observeLimit(e))
                + " after the method");
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

    private void activity(String phase, Experiment.Step step) {
        Instant start = Instant.now();
        String status = "succeeded";
        String output;
        try {
            output = act(step);
        } catch (ActivityFailed ex) {
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

    /** An action that ran but did not do what it must (a corrupted version accepted, an admin call refused). */
    private static final class ActivityFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ActivityFailed(String message) {
            super(message, null, false, false);
        }
    }

    private String act(Experiment.Step s) {
        return switch (s.action()) {
            case Action.Pause p -> {
                pause(p.duration(), true);
                yield "";
            }
            case Action.KillReplica k -> deployment.kill(one(k.replica()));
            case Action.PauseReplica p -> {
                String out = deployment.pause(one(p.replica()));
                if (p.lasting() != null) {
                    pause(p.lasting(), true);
                    out += "; " + deployment.resume(one(p.replica()));
                }
                yield out;
            }
            case Action.ResumeReplica r -> deployment.resume(one(r.replica()));
            case Action.RestartReplica r -> deployment.restart(one(r.replica()));
            case Action.InjectFault f -> admin(f.replica(), "POST", "/faults", f.body());
            case Action.ClearFaults c -> admin(c.replica(), "DELETE", "/faults", null);
            case Action.NetworkFault n -> network(n);
            case Action.ClearNetwork c -> {
                List<String> out = new ArrayList<>();
                for (int r : c.replica() > 0 ? List.of(c.replica()) : IntStream.rangeClosed(1, e.target().replicas()).boxed().toList()) {
                    if (e.breaksNetwork()) {
                        out.add(deployment.network(r, FaultProxy.Fault.NONE));
                    }
                }
                yield String.join("; ", out);
            }
            case Action.ReloadCatalog c -> {
                if (c.damage().equals("none")) {
                    yield admin(0, "POST", "/catalog/reload", null);
                }
                List<String> out = new ArrayList<>(List.of(deployment.damageCatalog(c.damage())));
                try {
                    for (AdminClient a : deployment.admins()) {
                        AdminClient.Answer r = a.send("POST", "/catalog/reload", null, Duration.ofSeconds(60));
                        if (r.ok()) {
                            throw new ActivityFailed(a.base() + " accepted a " + c.damage() + " catalog: " + r);
                        }
                        out.add("refused by " + a.base() + " (" + r + ")");
                    }
                } finally {
                    deployment.restoreCatalog();
                }
                yield String.join("; ", out) + "; file restored";
            }
            case Action.Rollback r -> admin(0, "POST", "/rollback", null);
            case Action.HotSwap h -> {
                String v = h.version();
                List<String> out = new ArrayList<>();
                for (AdminClient a : deployment.admins()) { // one replica after the other, like a rolling update
                    AdminClient.Answer load = a.send("POST", "/versions/" + v + "/load", null, Duration.ofSeconds(120));
                    if (!load.ok() && load.status() != 409) {
                        throw new ActivityFailed(a.base() + " did not load version " + v + ": " + load);
                    }
                    AdminClient.Answer promote = a.send("POST", "/versions/" + v + "/promote", null, Duration.ofSeconds(30));
                    if (!promote.ok()) {
                        throw new ActivityFailed(a.base() + " did not promote version " + v + ": " + promote);
                    }
                    out.add("promoted on " + a.base());
                }
                yield String.join("; ", out);
            }
            case Action.DeployCorrupted d -> {
                String v = d.version();
                String planted = deployment.plantCorrupted(v);
                List<String> out = new ArrayList<>(List.of(planted));
                for (AdminClient a : deployment.admins()) {
                    AdminClient.Answer load = a.send("POST", "/versions/" + v + "/load", null, Duration.ofSeconds(120));
                    if (load.ok()) {
                        throw new ActivityFailed(a.base() + " accepted the corrupted version " + v + ": " + load);
                    }
                    out.add("rejected by " + a.base() + " (" + load + ")");
                }
                yield String.join("; ", out);
            }
            case Action.Overload o -> {
                double extra = e.load().rate() * (o.multiple() - 1);
                try (HttpTarget http = HttpTarget.connect(deployment.dataUrl())) {
                    LoadRun burst = new LoadRun(seen.recording(http, e.load().timeout().toNanos()), Workload.build(options.workload(), http.hostHeader()),
                            loadSpec(extra, o.lasting()), Optional.empty(), p -> { });
                    bursts.add(burst);
                    RunResult r = burst.run(); // its drops are in the observations, in the slots they were due in
                    yield String.format(Locale.ROOT, "%.1f extra requests/s for %s (%.1fx the load): %d sent, %d ok", extra,
                            Experiment.format(o.lasting()), o.multiple(), r.sent(), r.ok());
                }
            }
        };
    }

    /** Breaks the replica's link; with for, mends it after that long; with flap, breaks and mends it every flap for that long. */
    private String network(Action.NetworkFault n) {
        int replica = one(n.replica());
        String out = deployment.network(replica, n.fault());
        if (n.lasting() == null) {
            return out;
        }
        if (n.flap() == null) {
            pause(n.lasting(), true);
        } else {
            long end = System.nanoTime() + n.lasting().toNanos();
            boolean broken = true;
            int flaps = 0;
            while (System.nanoTime() < end && abortedBy == null) {
                Duration left = Duration.ofNanos(end - System.nanoTime());
                pause(left.compareTo(n.flap()) < 0 ? left : n.flap(), true);
                broken = !broken;
                deployment.network(replica, broken ? n.fault() : FaultProxy.Fault.NONE);
                flaps++;
            }
            out += "; flapped " + flaps + " times, every " + Experiment.format(n.flap());
        }
        return out + "; " + deployment.network(replica, FaultProxy.Fault.NONE);
    }

    /** An action on one replica: the one named, else the first. */
    private static int one(int replica) {
        return Math.max(1, replica);
    }

    /** Calls every admin API (or the step's replica's); fails the activity when one refuses. */
    private String admin(int replica, String method, String path, String body) {
        List<AdminClient> admins = deployment.admins();
        if (admins.isEmpty()) {
            throw new ActivityFailed("the target has no admin API (target.admin)");
        }
        if (replica > 0) {
            admins = List.of(admins.get(replica - 1));
        }
        List<String> out = new ArrayList<>();
        for (AdminClient a : admins) {
            AdminClient.Answer r = a.send(method, path, body, Duration.ofSeconds(10));
            if (!r.ok()) {
                throw new ActivityFailed(method + " " + a.base() + path + ": " + r);
            }
            out.add(a.base() + ": HTTP " + r.status());
        }
        return String.join("; ", out);
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
            sightings.addAll(alertSightings(alerts, faultAt));
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

    /** The first alert to go pending, to fire and to be notified after the fault, each naming the alert. */
    static List<Journal.Sighting> alertSightings(List<Journal.Alert> alerts, Instant faultAt) {
        List<Journal.Sighting> out = new ArrayList<>();
        Map<Journal.Detector, Function<Journal.Alert, Instant>> when = new LinkedHashMap<>();
        when.put(Journal.Detector.ALERT_PENDING, Journal.Alert::pendingAt);
        when.put(Journal.Detector.ALERT_FIRING, Journal.Alert::firingAt);
        when.put(Journal.Detector.ALERT_NOTIFIED, Journal.Alert::notifiedAt);
        when.forEach((d, at) -> alerts.stream().filter(a -> at.apply(a) != null && !at.apply(a).isBefore(faultAt))
                .min(Comparator.comparing(at))
                .ifPresent(a -> out.add(new Journal.Sighting(d, at.apply(a), "alert " + a.name() + " " + d.label.substring("alert ".length())))));
        return out;
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

    /**
     * Polls readiness (every replica), the load balancer's view and the degraded share, and notes
     * every change on the timeline.
     */
    private final class Monitor implements Runnable {
        /** A change on the timeline; {@code sign} names the detector when it is a sign of a fault (not ready, marked DOWN), else null. */
        record Change(Instant at, String what, Journal.Detector sign) {}

        volatile boolean stop;
        private final List<Change> changes = Collections.synchronizedList(new ArrayList<>());

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
            event(what);
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
