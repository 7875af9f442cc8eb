package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.recops.objective.Durations;
import dev.recops.objective.Objective;
import dev.recops.objective.Objective.Direction;
import dev.recops.objective.Objective.Kind;
import dev.recops.objective.Objective.Measure;
import dev.recops.objective.Objective.Vocabulary;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

    /** Actions, the arguments each takes, and whether it needs a local target. */
    static final Map<String, Set<String>> ACTIONS = Map.ofEntries(
            Map.entry("pause", Set.of()),
            Map.entry("kill_replica", Set.of("replica")),
            Map.entry("pause_replica", Set.of("replica", "for")),
            Map.entry("resume_replica", Set.of("replica")),
            Map.entry("restart_replica", Set.of("replica")),
            Map.entry("inject_fault", Set.of("replica", "version", "latency_ms", "error_rate", "stall", "for")),
            Map.entry("clear_faults", Set.of("replica")),
            Map.entry("deploy_corrupted", Set.of("version")),
            Map.entry("hot_swap", Set.of("version")),
            Map.entry("rollback", Set.of()),
            Map.entry("overload", Set.of("multiple", "for")),
            Map.entry("reload_catalog", Set.of("damage")),
            Map.entry("network_fault", Set.of("replica", "latency_ms", "jitter_ms", "bandwidth", "reset", "blackhole", "partition",
                    "slow_close_ms", "flap", "for")),
            Map.entry("clear_network", Set.of("replica")));
    /** Faults on a replica's process: a local target owns them, a kubernetes one reaches them with kubectl. */
    static final Set<String> PROCESS = Set.of("kill_replica", "pause_replica", "resume_replica", "restart_replica");
    /** Actions only a local target can take: it owns the model repository, the catalog file and the links to the replicas. */
    static final Set<String> LOCAL_ONLY = Set.of("deploy_corrupted", "network_fault", "clear_network");
    static final Set<String> TOP = Set.of("title", "description", "tags", "target", "load", "steady_state", "method", "rollbacks",
            "stop_conditions", "expect", "alerting");

    /** Reads and checks an experiment file (YAML, or JSON by its .json name). */
    public static Experiment read(Path file) {
        Located doc = Located.read(file);
        JsonNode root = doc.root();
        if (!root.isObject()) {
            throw doc.invalid("", "an experiment is a mapping with title, target, load, steady_state, method...");
        }
        unknownFields(doc, root, "", TOP);
        String title = text(doc, root, "title", null);
        String description = text(doc, root, "description", "");
        List<String> tags = new ArrayList<>();
        JsonNode t = root.path("tags");
        if (!t.isMissingNode()) {
            if (!t.isArray()) {
                throw doc.invalid("tags", "a list of words");
            }
            t.forEach(x -> tags.add(x.asText()));
        }
        Target target = target(doc, root.path("target"));
        JsonNode l = object(doc, root, "load");
        unknownFields(doc, l, "load", Set.of("rate", "timeout", "k"));
        Load load = new Load(number(doc, l, "load.rate", 50, 0.1, 100_000), duration(doc, l, "load.timeout", "2s"),
                (int) number(doc, l, "load.k", 10, 1, 100));
        JsonNode s = object(doc, root, "steady_state");
        unknownFields(doc, s, "steady_state", Set.of("before", "window", "hold", "probes"));
        List<Probe> probes = new ArrayList<>();
        JsonNode ps = s.path("probes");
        if (!ps.isArray() || ps.isEmpty()) {
            throw doc.invalid("steady_state.probes", "a list of at least one probe, like [\"errors<=1%\", \"p99<=250ms\"]");
        }
        for (int i = 0; i < ps.size(); i++) {
            try {
                Probe p = Probe.parse(ps.get(i).asText());
                if (p.metric() == Probe.Metric.READY && !target.local()) {
                    throw new IllegalArgumentException("ready counts local replicas; a url target has none");
                }
                probes.add(p);
            } catch (IllegalArgumentException e) {
                throw doc.invalid("steady_state.probes[" + i + "]", e.getMessage());
            }
        }
        SteadyState steady = new SteadyState(duration(doc, s, "steady_state.before", "3s"), duration(doc, s, "steady_state.window", "1s"),
                duration(doc, s, "steady_state.hold", "2s"), probes);
        List<Step> method = steps(doc, root, "method", target, true);
        List<Step> rollbacks = steps(doc, root, "rollbacks", target, false);
        List<StopCondition> stops = new ArrayList<>();
        JsonNode sc = root.path("stop_conditions");
        for (int i = 0; i < sc.size(); i++) {
            String path = "stop_conditions[" + i + "]";
            String text = sc.get(i).asText();
            Matcher m = Pattern.compile("(.*?)\\s+for\\s+(\\S+)\\s*").matcher(text);
            try {
                if (!m.matches()) {
                    throw new IllegalArgumentException("\"" + text + "\" is not like \"errors>=20% for 10s\"");
                }
                stops.add(new StopCondition(text.strip(), Probe.parse(m.group(1)), parseDuration(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw doc.invalid(path, e.getMessage());
            }
        }
        Optional<Alerting> alerting = Optional.empty();
        if (root.has("alerting")) {
            JsonNode a = object(doc, root, "alerting");
            unknownFields(doc, a, "alerting", Set.of("observe"));
            if (!target.local()) {
                throw doc.invalid("alerting", "the drill starts its own Prometheus and Alertmanager for a local target only");
            }
            alerting = Optional.of(new Alerting(duration(doc, a, "alerting.observe", "3m")));
        }
        List<Expectation> expect = new ArrayList<>();
        JsonNode ex = root.path("expect");
        for (int i = 0; i < ex.size(); i++) {
            try {
                Expectation x = Expectation.parse(ex.get(i).asText());
                if ((x.metric() == Expectation.Metric.TIME_TO_DETECT || x.metric() == Expectation.Metric.TIME_TO_DETECT_BY_BALANCER) && !target.balanced()
                        && alerting.isEmpty()) {
                    throw new IllegalArgumentException(x.metric() + " needs a balancer or alerting to watch, and this target has neither"
                            + (target instanceof Target.Kubernetes ? " (name target.service)" : "")
                            + "; the drill's own watching is time_to_detect_by_readiness or time_to_detect_by_probe");
                }
                if (x.aboutAlerts() && alerting.isEmpty()) {
                    throw new IllegalArgumentException("an expectation about alerts needs an alerting block, like alerting: {observe: 3m}");
                }
                if (x.aboutAlerts() && x.metric() != Expectation.Metric.ALERTS_FIRED && x.value() > alerting.get().observe().toMillis() / 1e3) {
                    throw new IllegalArgumentException("the drill watches alerts for alerting.observe " + format(alerting.get().observe())
                            + ", less than " + format(Duration.ofMillis(Math.round(x.value() * 1000))));
                }
                expect.add(x);
            } catch (IllegalArgumentException e) {
                throw doc.invalid("expect[" + i + "]", e.getMessage());
            }
        }
        return new Experiment(file, title, description, List.copyOf(tags), target, load, steady, method, rollbacks, stops, expect, alerting);
    }

    private static Target target(Located doc, JsonNode t) {
        if (!t.isObject()) {
            throw doc.invalid("target", "required: {type: local, replicas: 3}, {type: url, url: http://..., admin: [...]} or "
                    + "{type: kubernetes, namespace: ..., selector: ..., url: http://...}");
        }
        String type = text(doc, t, "target.type", null);
        if (type.equals("local")) {
            unknownFields(doc, t, "target", Set.of("type", "replicas", "serve_args", "balancer"));
            List<String> args = new ArrayList<>();
            JsonNode a = t.path("serve_args");
            if (!a.isMissingNode()) {
                if (!a.isArray()) {
                    throw doc.invalid("target.serve_args", "a list of recops serve options, like [\"--workers\", \"1\"]");
                }
                a.forEach(x -> args.add(x.asText()));
                for (String reserved : List.of("--port", "--admin-port", "--admin-token-file", "--model-repo", "--access-log", "--state-file")) {
                    if (args.contains(reserved)) {
                        throw doc.invalid("target.serve_args", reserved + " is set by the drill for each replica");
                    }
                }
            }
            int retries = 3;
            JsonNode balancer = t.path("balancer");
            if (!balancer.isMissingNode()) {
                if (!balancer.isObject()) {
                    throw doc.invalid("target.balancer", "{retries: N}: how often HAProxy re-sends a failed request to another replica (0..10)");
                }
                unknownFields(doc, balancer, "target.balancer", Set.of("retries"));
                retries = (int) number(doc, balancer, "target.balancer.retries", 3, 0, 10);
            }
            return new Target.Local((int) number(doc, t, "target.replicas", 3, 1, 9), List.copyOf(args), retries);
        }
        if (type.equals("kubernetes")) {
            unknownFields(doc, t, "target", Set.of("type", "url", "admin", "admin_token_file", "admin_port", "admin_secret", "namespace",
                    "selector", "context", "container", "service", "replicas"));
            String url = text(doc, t, "target.url", null);
            if (!url.matches("https?://[^/\\s]+(/.*)?")) {
                throw doc.invalid("target.url", "an http:// or https:// URL where the Service answers (an ingress, or a kubectl port-forward)");
            }
            String selector = text(doc, t, "target.selector", null);
            if (!selector.matches("[A-Za-z0-9./_-]+(=|==|!=)[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+(=|==|!=)[A-Za-z0-9._-]*)*")) {
                throw doc.invalid("target.selector", "a label selector like app.kubernetes.io/name=recops");
            }
            List<String> admins = new ArrayList<>();
            t.path("admin").forEach(x -> admins.add(x.asText()));
            String token = text(doc, t, "target.admin_token_file", "");
            return new Target.Kubernetes(name(doc, t, "target.namespace", null), selector, name(doc, t, "target.context", ""),
                    name(doc, t, "target.container", "serve"), name(doc, t, "target.service", ""), (int) number(doc, t, "target.replicas", 3, 1, 9),
                    url, List.copyOf(admins), token.isEmpty() ? null : Path.of(token), (int) number(doc, t, "target.admin_port", 8081, 1, 65535),
                    name(doc, t, "target.admin_secret", "recops-admin-token"));
        }
        if (type.equals("url")) {
            unknownFields(doc, t, "target", Set.of("type", "url", "admin", "admin_token_file"));
            String url = text(doc, t, "target.url", null);
            if (!url.matches("https?://[^/\\s]+(/.*)?")) {
                throw doc.invalid("target.url", "an http:// or https:// URL");
            }
            List<String> admins = new ArrayList<>();
            t.path("admin").forEach(x -> admins.add(x.asText()));
            String token = text(doc, t, "target.admin_token_file", "");
            return new Target.Url(url, List.copyOf(admins), token.isEmpty() ? null : Path.of(token));
        }
        throw doc.invalid("target.type", "local, url or kubernetes, not " + type);
    }

    private static List<Step> steps(Located doc, JsonNode root, String field, Target target, boolean required) {
        JsonNode list = root.path(field);
        if (list.isMissingNode() && !required) {
            return List.of();
        }
        if (!list.isArray() || (required && list.isEmpty())) {
            throw doc.invalid(field, "a list of activities, like [{action: kill_replica, replica: 2}, {pause: 5s}]");
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = field + "[" + i + "]";
            JsonNode n = list.get(i);
            if (!n.isObject()) {
                throw doc.invalid(path, "an activity is a mapping: {action: NAME, ...} or {pause: 5s}");
            }
            String action = n.has("pause") ? "pause" : text(doc, n, path + ".action", null);
            Set<String> allowed = ACTIONS.get(action);
            if (allowed == null) {
                throw doc.invalid(path + ".action", "unknown action " + action + "; one of " + new TreeSet<>(ACTIONS.keySet()));
            }
            if (PROCESS.contains(action) && !target.ownsProcesses()) {
                throw doc.invalid(path + ".action", action + " needs a local or kubernetes target (processes the drill can reach)");
            }
            if (LOCAL_ONLY.contains(action) && !target.local()) {
                throw doc.invalid(path + ".action", action + " needs a local target (the drill owns those processes)");
            }
            Set<String> fields = new HashSet<>(allowed);
            fields.add(action.equals("pause") ? "pause" : "action");
            fields.add("background");
            unknownFields(doc, n, path, fields);
            Map<String, Object> args = new LinkedHashMap<>();
            if (action.equals("pause")) {
                args.put("for", duration(doc, n, path + ".pause", null));
            }
            for (Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
                String a = names.next();
                if (!allowed.contains(a)) {
                    continue;
                }
                String p = path + "." + a;
                switch (a) {
                    case "replica" -> {
                        int r = (int) number(doc, n, p, 1, 1, 9);
                        if (r > target.replicas() || r != n.get(a).asDouble()) {
                            throw doc.invalid(p, "a replica number in 1.." + target.replicas());
                        }
                        args.put(a, r);
                    }
                    case "for" -> args.put(a, duration(doc, n, p, null));
                    case "version" -> {
                        String v = n.get(a).asText();
                        if (!v.matches("[A-Za-z0-9._-]{1,64}")) {
                            throw doc.invalid(p, "a version name");
                        }
                        args.put(a, v);
                    }
                    case "latency_ms", "jitter_ms", "slow_close_ms" -> args.put(a, (long) number(doc, n, p, 0, 0, 60_000));
                    case "bandwidth" -> args.put(a, (long) number(doc, n, p, 0, 1, 1e10));
                    case "reset", "blackhole" -> args.put(a, bool(doc, n, p));
                    case "partition" -> {
                        String d = n.get(a).asText();
                        if (!Set.of("to_replica", "from_replica").contains(d)) {
                            throw doc.invalid(p, "to_replica or from_replica (the way bytes are dropped)");
                        }
                        args.put(a, d);
                    }
                    case "flap" -> args.put(a, duration(doc, n, p, null));
                    case "error_rate" -> args.put(a, number(doc, n, p, 0, 0, 1));
                    case "stall" -> args.put(a, bool(doc, n, p));
                    case "multiple" -> args.put(a, number(doc, n, p, 3, 1.1, 100));
                    case "damage" -> {
                        String d = n.get(a).asText();
                        if (!Set.of("none", "missing", "corrupt").contains(d)) {
                            throw doc.invalid(p, "none, missing or corrupt");
                        }
                        if (!d.equals("none") && !target.local()) {
                            throw doc.invalid(p, "damaging the catalog file needs a local target");
                        }
                        args.put(a, d);
                    }
                    default -> throw new IllegalStateException(a);
                }
            }
            if (action.equals("inject_fault") && !args.containsKey("latency_ms") && !args.containsKey("error_rate") && !args.containsKey("stall")) {
                throw doc.invalid(path, "inject_fault needs latency_ms, error_rate or stall");
            }
            if (action.equals("network_fault")) {
                if (!args.containsKey("replica")) {
                    throw doc.invalid(path, "network_fault needs the replica whose link breaks");
                }
                if (args.keySet().stream().noneMatch(k -> Set.of("latency_ms", "bandwidth", "reset", "blackhole", "partition", "slow_close_ms")
                        .contains(k))) {
                    throw doc.invalid(path, "network_fault needs latency_ms, bandwidth, reset, blackhole, partition or slow_close_ms");
                }
                if (args.containsKey("flap") && !args.containsKey("for")) {
                    throw doc.invalid(path, "a flapping link needs for: how long it flaps");
                }
            }
            if (action.equals("hot_swap") && !args.containsKey("version")) {
                throw doc.invalid(path, "hot_swap needs the version to swap to");
            }
            if (action.equals("overload") && !args.containsKey("for")) {
                args.put("for", Duration.ofSeconds(5));
            }
            boolean background = n.has("background") && bool(doc, n, path + ".background");
            // in the file's order, so that plans, journals and reports read the same every time
            steps.add(new Step(Action.of(action, args), background, doc.file().getFileName() + ":" + doc.line(path)));
        }
        return List.copyOf(steps);
    }

    private static void unknownFields(Located doc, JsonNode n, String path, Set<String> allowed) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw doc.invalid(path.isEmpty() ? f : path + "." + f, "unknown field; expected one of " + new TreeSet<>(allowed));
            }
        }
    }

    private static JsonNode object(Located doc, JsonNode root, String field) {
        JsonNode n = root.path(field);
        if (!n.isObject()) {
            throw doc.invalid(field, "required, a mapping");
        }
        return n;
    }

    private static String text(Located doc, JsonNode parent, String path, String otherwise) {
        JsonNode n = parent.get(last(path));
        if (n == null || n.isNull()) {
            if (otherwise == null) {
                throw doc.invalid(path, "required");
            }
            return otherwise;
        }
        if (!n.isValueNode()) {
            throw doc.invalid(path, "a single value");
        }
        return n.asText();
    }

    /** A Kubernetes name (namespace, context, container, service): what kubectl accepts, nothing a shell would read. */
    private static String name(Located doc, JsonNode parent, String path, String otherwise) {
        String v = text(doc, parent, path, otherwise);
        if (!v.isEmpty() && !v.matches("[A-Za-z0-9._@:/-]{1,253}")) {
            throw doc.invalid(path, "a Kubernetes name (letters, digits, . _ - : @ /)");
        }
        return v;
    }

    private static double number(Located doc, JsonNode parent, String path, double otherwise, double min, double max) {
        JsonNode n = parent.get(last(path));
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isNumber() || !(n.asDouble() >= min && n.asDouble() <= max)) {
            throw doc.invalid(path, "a number in " + fmt(min) + ".." + fmt(max));
        }
        return n.asDouble();
    }

    private static boolean bool(Located doc, JsonNode parent, String path) {
        JsonNode n = parent.get(last(path));
        if (!n.isBoolean()) {
            throw doc.invalid(path, "true or false");
        }
        return n.asBoolean();
    }

    private static Duration duration(Located doc, JsonNode parent, String path, String otherwise) {
        JsonNode n = parent.get(last(path));
        if (n == null || n.isNull()) {
            if (otherwise == null) {
                throw doc.invalid(path, "required, a duration like 500ms, 5s or 2m");
            }
            return parseDuration(otherwise);
        }
        try {
            return parseDuration(n.asText());
        } catch (IllegalArgumentException e) {
            throw doc.invalid(path, e.getMessage());
        }
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

    private static String last(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
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
