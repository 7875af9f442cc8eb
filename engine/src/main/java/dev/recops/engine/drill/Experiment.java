package dev.recops.engine.drill;

import dev.recops.objective.Durations;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Direction;
import dev.recops.objective.Objective.Kind;
import dev.recops.objective.Objective.Measure;
import dev.recops.objective.Objective.Vocabulary;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A drill, shaped like a Chaos Toolkit experiment: what runs ({@code target}), the background
 * traffic ({@code load}), the steady-state hypothesis ({@code steady_state}), the faults
 * ({@code method}), what always runs afterwards ({@code rollbacks}), when to abort
 * ({@code stop_conditions}) and what must hold ({@code expect}). Every field is checked before
 * anything runs; an error names the field and its line.
 */
public record Experiment(Path file, String title, String description, List<String> tags, Target target, Load load,
                         SteadyState steadyState, List<Step> method, List<Step> rollbacks, List<StopCondition> stopConditions,
                         List<Expectation> expect, Optional<Alerting> alerting) {

    /**
     * The real alerting pipeline beside a local target (Prometheus with the shipped rules,
     * Alertmanager, a webhook receiver), watched until every alert expectation is decided or
     * {@code observe} has passed since the fault, the load running all along.
     */
    public record Alerting(Duration observe) {}

    /** What a drill acts on: replicas it starts, a deployment at a URL, or pods in a Kubernetes cluster. */
    public sealed interface Target {
        /** How many replicas the experiment may name (1..replicas); 0 for a url target. */
        int replicas();

        /** One line for plans, journals and reports. */
        String describe();

        default boolean local() {
            return this instanceof Local;
        }

        /** Whether the drill can act on the replicas' processes: it started them, or kubectl reaches their pods. */
        default boolean ownsProcesses() {
            return this instanceof Local || this instanceof Kubernetes;
        }

        /**
         * Whether a balancer in front of the replicas can be watched taking one out: HAProxy for a
         * local target, the Service's endpoints for a kubernetes target that names its service.
         */
        default boolean balanced() {
            return this instanceof Local || this instanceof Kubernetes k && !k.service().isEmpty();
        }

        /**
         * N {@code recops serve} replicas behind HAProxy, started and torn down by the drill, with
         * extra serve options.
         *
         * @param balancerRetries how often HAProxy re-sends a request a replica failed (refused,
         *     reset, no answer in time) to another one, 0..10; 0 is the shape of a plain Kubernetes
         *     Service (kube-proxy retries nothing), 3 (the default) that of a proxy with retries
         *     (HAProxy, Envoy): a drill's "nothing lost" holds only for the policy it ran with
         */
        record Local(int replicas, List<String> serveArgs, int balancerRetries) implements Target {
            public String describe() {
                return replicas + " local replicas behind HAProxy (" + balancer() + ")";
            }

            /** The balancer's retry policy, as plans, journals and reports say it. */
            public String balancer() {
                return balancerRetries == 0 ? "no retries, as a plain Kubernetes Service"
                        : "retries " + balancerRetries + " to another replica on a refused, reset or timed-out request";
            }
        }

        /** A deployment someone else runs: the data plane, admin APIs to act on, and their token (null: none). */
        record Url(String url, List<String> adminUrls, Path adminTokenFile) implements Target {
            public int replicas() {
                return 0;
            }

            public String describe() {
                return url;
            }
        }

        /**
         * Pods of a Deployment of recops serve (deploy/kubernetes).
         *
         * @param namespace where they run
         * @param selector label selector of the pods, e.g. {@code app.kubernetes.io/name=recops}
         * @param context kubectl context, empty for the current one
         * @param container the serve container, for kubectl exec
         * @param service the Service whose EndpointSlices are the balancer's view, empty for none
         * @param url where the Service answers (an ingress, or a kubectl port-forward)
         * @param adminUrls admin APIs named by hand, one per replica; empty: the drill port-forwards
         *                  to {@code adminPort} of the replica's pod for each admin action
         * @param adminTokenFile the admin token; null: read from the Secret {@code adminSecret}
         * @param adminPort the admin API's port inside the pod (serve's --admin-port)
         * @param adminSecret the Secret holding the admin token under the key {@code token}
         */
        record Kubernetes(String namespace, String selector, String context, String container, String service, int replicas, String url,
                          List<String> adminUrls, Path adminTokenFile, int adminPort, String adminSecret) implements Target {
            public String describe() {
                return "kubernetes " + namespace + " " + selector + " via " + url;
            }
        }
    }

    /** Open-loop search traffic for the whole drill. */
    public record Load(double rate, Duration timeout, int k) {}

    /**
     * @param before how long the hypothesis is checked before the method
     * @param window probes are evaluated over the last {@code window} of traffic
     * @param hold recovered means every probe held this long again
     */
    public record SteadyState(Duration before, Duration window, Duration hold, List<Probe> probes) {}

    /**
     * {@code errors<=1%}, {@code p99<=200ms}, {@code degraded<=5%}, {@code ready>=3}, in the grammar
     * every command shares ({@link Objective}).
     *
     * @param bound milliseconds for a latency, a fraction for a share, a count for ready
     */
    public record Probe(String text, Metric metric, double bound, Objective spec) {
        /** What a probe watches, in its window of the drill's own requests ({@link Observations.Window#value}). */
        public enum Metric {
            ERRORS(new Measure("errors", Kind.SHARE, Direction.ANY)),
            DEGRADED(new Measure("degraded", Kind.SHARE, Direction.ANY)),
            P50(new Measure("p50", Kind.DURATION, Direction.ANY)),
            P95(new Measure("p95", Kind.DURATION, Direction.ANY)),
            P99(new Measure("p99", Kind.DURATION, Direction.ANY)),
            READY(new Measure("ready", Kind.COUNT, Direction.ANY));

            final Measure measure;

            Metric(Measure measure) {
                this.measure = measure;
            }

            /** A share (shown in percent), as opposed to a latency or a count. */
            boolean share() {
                return measure.kind() == Kind.SHARE;
            }

            @Override
            public String toString() {
                return measure.name();
            }
        }

        static final Vocabulary VOCABULARY = Vocabulary.of("errors<=1%, p99<=200ms, degraded<=5% or ready>=3",
                Arrays.stream(Metric.values()).map(m -> m.measure).toArray(Measure[]::new));

        static Probe parse(String s) {
            Objective o = VOCABULARY.parse(s);
            return new Probe(o.text(), o.measureIn(Metric.values(), m -> m.measure), o.bound(), o);
        }

        public boolean holds(double value) {
            return spec.holds(value);
        }
    }

    /** {@code errors>=20% for 10s}: abort when the probe's condition lasts that long. */
    public record StopCondition(String text, Probe when, Duration sustained) {}

    /**
     * {@code rto<=2s}, {@code lost_requests==0}, {@code time_to_detect<=1s}, {@code error_budget<=50%},
     * in the grammar every command shares ({@link Objective}). {@code time_to_detect} is the
     * system's detection (the balancer taking a replica out, an alert firing); each source also
     * has its own: {@code time_to_detect_by_balancer}, {@code time_to_detect_by_readiness} and
     * {@code time_to_detect_by_probe} (the last two are the drill's own watching). What the
     * alerting pipeline saw: {@code time_to_alert<=3m} (the first alert to fire, from the fault),
     * {@code time_to_alert_pending}, {@code time_to_notify}, {@code alerts_fired==0},
     * {@code time_to_resolve<=5m} (the last fired alert's resolution, from the recovery). Three
     * sentences say the same in the words of an on-call review and parse to those objectives:
     * {@code alert NAME fires within 3m} (time_to_alert of that alert), {@code no alert fires} and
     * {@code alerts resolve within 5m}.
     *
     * @param alert the alert a time_to_alert is about; empty for the first to fire, or another measure
     * @param value seconds for the times (rto, time_to_*),
     *              milliseconds for p99, a fraction for a share
     */
    public record Expectation(String text, Metric metric, String alert, double value, Objective spec) {
        /** What an expectation judges, at the end of the drill ({@code Drill}'s measurements and the alerts seen). */
        public enum Metric {
            RTO("rto", Kind.DURATION), TIME_TO_DETECT("time_to_detect", Kind.DURATION),
            TIME_TO_DETECT_BY_BALANCER("time_to_detect_by_balancer", Kind.DURATION),
            TIME_TO_DETECT_BY_READINESS("time_to_detect_by_readiness", Kind.DURATION),
            TIME_TO_DETECT_BY_PROBE("time_to_detect_by_probe", Kind.DURATION),
            LOST_REQUESTS("lost_requests", Kind.COUNT), LOST_SHARE("lost_share", Kind.SHARE), ERROR_BUDGET("error_budget", Kind.SHARE),
            P99("p99", Kind.DURATION),
            TIME_TO_ALERT("time_to_alert", Kind.DURATION), TIME_TO_ALERT_PENDING("time_to_alert_pending", Kind.DURATION),
            TIME_TO_NOTIFY("time_to_notify", Kind.DURATION), ALERTS_FIRED("alerts_fired", Kind.COUNT),
            TIME_TO_RESOLVE("time_to_resolve", Kind.DURATION);

            final Measure measure;

            Metric(String name, Kind kind) {
                this.measure = new Measure(name, kind, Direction.ANY);
            }

            /** Judged from the alerting pipeline (so needs {@code alerting:}). */
            public boolean aboutAlerts() {
                return this == TIME_TO_ALERT || this == TIME_TO_ALERT_PENDING || this == TIME_TO_NOTIFY || this == ALERTS_FIRED
                        || this == TIME_TO_RESOLVE;
            }

            /** Kept in seconds (the times), not milliseconds (p99). */
            boolean inSeconds() {
                return measure.kind() == Kind.DURATION && this != P99;
            }

            @Override
            public String toString() {
                return measure.name();
            }
        }

        static final Vocabulary VOCABULARY = Vocabulary.of("rto<=2s, time_to_detect<=1s, time_to_detect_by_balancer<=1s, "
                + "time_to_detect_by_readiness<=1s, time_to_detect_by_probe<=1s, lost_requests==0, lost_share<=0.1%, error_budget<=50%, "
                + "p99<=500ms, time_to_alert<=3m, time_to_alert_pending<=1m, time_to_notify<=3m, alerts_fired==0 or time_to_resolve<=5m",
                Arrays.stream(Metric.values()).map(m -> m.measure).toArray(Measure[]::new));
        private static final Pattern FIRES = Pattern.compile("alert ([A-Za-z_:][A-Za-z0-9_:]*) fires within (\\S+)");
        private static final Pattern RESOLVE = Pattern.compile("alerts resolve within (\\S+)");
        private static final String SENTENCES = "\"alert RecopsAvailabilityBudgetBurnFast fires within 3m\", \"no alert fires\" or "
                + "\"alerts resolve within 5m\"";

        static Expectation parse(String s) {
            String t = s.strip().replaceAll("\\s+", " ");
            Matcher m = FIRES.matcher(t);
            if (m.matches()) {
                return sentence(t, m.group(1), "time_to_alert<=" + m.group(2));
            }
            m = RESOLVE.matcher(t);
            if (m.matches()) {
                return sentence(t, "", "time_to_resolve<=" + m.group(1));
            }
            if (t.equals("no alert fires")) {
                return sentence(t, "", "alerts_fired==0");
            }
            if (t.startsWith("alert ") || t.startsWith("alerts ") || t.startsWith("no alert")) {
                throw new IllegalArgumentException("\"" + t + "\" is not like " + SENTENCES);
            }
            return of(t, "", VOCABULARY.parse(t));
        }

        private static Expectation sentence(String text, String alert, String objective) {
            try {
                return of(text, alert, VOCABULARY.parse(objective));
            } catch (IllegalArgumentException e) { // only the time can be wrong
                throw new IllegalArgumentException("\"" + text + "\": the time is a duration in us, ms, s, m or h, like " + SENTENCES);
            }
        }

        private static Expectation of(String text, String alert, Objective o) {
            Metric metric = o.measureIn(Metric.values(), m -> m.measure);
            return new Expectation(text, metric, alert, metric.inSeconds() ? o.bound() / 1000 : o.bound(), o);
        }

        /** Whether a time_to_alert is about this alert: the one it names, or any when it names none. */
        public boolean concerns(String alertName) {
            return alert.isEmpty() || alert.equals(alertName);
        }

        /** Whether it is judged from the alerting pipeline (so needs {@code alerting:}). */
        public boolean aboutAlerts() {
            return metric.aboutAlerts();
        }

        /** Whether {@code measured} (in this expectation's unit) meets it; NaN (e.g. never recovered) never does. */
        public boolean met(double measured) {
            return spec.holds(metric.inSeconds() ? measured * 1000 : measured);
        }
    }

    /**
     * One activity of the method or the rollbacks.
     *
     * @param action what it does, typed ({@link Action})
     * @param background start it and go on at once (its end is waited for before the rollbacks)
     * @param where file:line, for messages
     */
    public record Step(Action action, boolean background, String where) {
        public String describe() {
            return background ? action.describe() + " (background)" : action.describe();
        }
    }

    /** Reads and checks an experiment file (YAML, or JSON by its .json name). */
    public static Experiment read(Path file) {
        return ExperimentReader.read(file);
    }

    static Duration parseDuration(String s) {
        Duration d = Durations.parse(s);
        if (d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("\"" + s + "\" must be more than 0 and at most an hour");
        }
        return d;
    }

    static String format(Duration d) {
        return Durations.format(d);
    }

    /** Actions that change a deployment someone else runs: they need {@code --yes} on a url target. */
    public boolean destructiveOnUrl() {
        return !target.local() && Stream.concat(method.stream(), rollbacks.stream()).anyMatch(s -> !(s.action() instanceof Action.Pause));
    }

    /** Whether the method deploys a corrupted version (the local replicas then need a model repository of their own). */
    public boolean deploysCorrupted() {
        return method.stream().anyMatch(s -> s.action() instanceof Action.DeployCorrupted);
    }

    /** Whether an activity breaks a replica's network link (the local replicas then sit behind fault proxies). */
    public boolean breaksNetwork() {
        return Stream.concat(method.stream(), rollbacks.stream()).anyMatch(s -> s.action() instanceof Action.NetworkFault);
    }

    /** Whether an activity damages the catalog file (the local replicas then need a copy of their own). */
    public boolean damagesCatalog() {
        return Stream.concat(method.stream(), rollbacks.stream())
                .anyMatch(s -> s.action() instanceof Action.ReloadCatalog r && !r.damage().equals("none"));
    }
}
