package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads an experiment file into an {@link Experiment}, checking every field; an error names the field and its line. */
final class ExperimentReader {
    private ExperimentReader() {}

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
    static Experiment read(Path file) {
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
        Experiment.Target target = target(doc, root.path("target"));
        JsonNode l = object(doc, root, "load");
        unknownFields(doc, l, "load", Set.of("rate", "timeout", "k"));
        Experiment.Load load = new Experiment.Load(number(doc, l, "load.rate", 50, 0.1, 100_000), duration(doc, l, "load.timeout", "2s"),
                (int) number(doc, l, "load.k", 10, 1, 100));
        JsonNode s = object(doc, root, "steady_state");
        unknownFields(doc, s, "steady_state", Set.of("before", "window", "hold", "probes"));
        List<Experiment.Probe> probes = new ArrayList<>();
        JsonNode ps = s.path("probes");
        if (!ps.isArray() || ps.isEmpty()) {
            throw doc.invalid("steady_state.probes", "a list of at least one probe, like [\"errors<=1%\", \"p99<=250ms\"]");
        }
        for (int i = 0; i < ps.size(); i++) {
            try {
                Experiment.Probe p = Experiment.Probe.parse(ps.get(i).asText());
                if (p.metric() == Experiment.Probe.Metric.READY && !target.local()) {
                    throw new IllegalArgumentException("ready counts local replicas; a url target has none");
                }
                probes.add(p);
            } catch (IllegalArgumentException e) {
                throw doc.invalid("steady_state.probes[" + i + "]", e.getMessage());
            }
        }
        Experiment.SteadyState steady = new Experiment.SteadyState(duration(doc, s, "steady_state.before", "3s"), duration(doc, s, "steady_state.window", "1s"),
                duration(doc, s, "steady_state.hold", "2s"), probes);
        List<Experiment.Step> method = steps(doc, root, "method", target, true);
        List<Experiment.Step> rollbacks = steps(doc, root, "rollbacks", target, false);
        List<Experiment.StopCondition> stops = new ArrayList<>();
        JsonNode sc = root.path("stop_conditions");
        for (int i = 0; i < sc.size(); i++) {
            String path = "stop_conditions[" + i + "]";
            String text = sc.get(i).asText();
            Matcher m = Pattern.compile("(.*?)\\s+for\\s+(\\S+)\\s*").matcher(text);
            try {
                if (!m.matches()) {
                    throw new IllegalArgumentException("\"" + text + "\" is not like \"errors>=20% for 10s\"");
                }
                stops.add(new Experiment.StopCondition(text.strip(), Experiment.Probe.parse(m.group(1)), Experiment.parseDuration(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw doc.invalid(path, e.getMessage());
            }
        }
        Optional<Experiment.Alerting> alerting = Optional.empty();
        if (root.has("alerting")) {
            JsonNode a = object(doc, root, "alerting");
            unknownFields(doc, a, "alerting", Set.of("observe"));
            if (!target.local()) {
                throw doc.invalid("alerting", "the drill starts its own Prometheus and Alertmanager for a local target only");
            }
            alerting = Optional.of(new Experiment.Alerting(duration(doc, a, "alerting.observe", "3m")));
        }
        List<Experiment.Expectation> expect = new ArrayList<>();
        JsonNode ex = root.path("expect");
        for (int i = 0; i < ex.size(); i++) {
            try {
                Experiment.Expectation x = Experiment.Expectation.parse(ex.get(i).asText());
                if ((x.metric() == Experiment.Expectation.Metric.TIME_TO_DETECT || x.metric() == Experiment.Expectation.Metric.TIME_TO_DETECT_BY_BALANCER) && !target.balanced()
                        && alerting.isEmpty()) {
                    throw new IllegalArgumentException(x.metric() + " needs a balancer or alerting to watch, and this target has neither"
                            + (target instanceof Experiment.Target.Kubernetes ? " (name target.service)" : "")
                            + "; the drill's own watching is time_to_detect_by_readiness or time_to_detect_by_probe");
                }
                if (x.aboutAlerts() && alerting.isEmpty()) {
                    throw new IllegalArgumentException("an expectation about alerts needs an alerting block, like alerting: {observe: 3m}");
                }
                if (x.aboutAlerts() && x.metric() != Experiment.Expectation.Metric.ALERTS_FIRED && x.value() > alerting.get().observe().toMillis() / 1e3) {
                    throw new IllegalArgumentException("the drill watches alerts for alerting.observe " + Experiment.format(alerting.get().observe())
                            + ", less than " + Experiment.format(Duration.ofMillis(Math.round(x.value() * 1000))));
                }
                expect.add(x);
            } catch (IllegalArgumentException e) {
                throw doc.invalid("expect[" + i + "]", e.getMessage());
            }
        }
        return new Experiment(file, title, description, List.copyOf(tags), target, load, steady, method, rollbacks, stops, expect, alerting);
    }

    private static Experiment.Target target(Located doc, JsonNode t) {
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
            return new Experiment.Target.Local((int) number(doc, t, "target.replicas", 3, 1, 9), List.copyOf(args), retries);
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
            return new Experiment.Target.Kubernetes(name(doc, t, "target.namespace", null), selector, name(doc, t, "target.context", ""),
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
            return new Experiment.Target.Url(url, List.copyOf(admins), token.isEmpty() ? null : Path.of(token));
        }
        throw doc.invalid("target.type", "local, url or kubernetes, not " + type);
    }

    private static List<Experiment.Step> steps(Located doc, JsonNode root, String field, Experiment.Target target, boolean required) {
        JsonNode list = root.path(field);
        if (list.isMissingNode() && !required) {
            return List.of();
        }
        if (!list.isArray() || (required && list.isEmpty())) {
            throw doc.invalid(field, "a list of activities, like [{action: kill_replica, replica: 2}, {pause: 5s}]");
        }
        List<Experiment.Step> steps = new ArrayList<>();
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
            steps.add(new Experiment.Step(Action.of(action, args), background, doc.file().getFileName() + ":" + doc.line(path)));
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
            return Experiment.parseDuration(otherwise);
        }
        try {
            return Experiment.parseDuration(n.asText());
        } catch (IllegalArgumentException e) {
            throw doc.invalid(path, e.getMessage());
        }
    }

    private static String last(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
