package dev.recops.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.recops.cli.Main;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.telemetry.ServerMetrics;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/kubernetes parses with fabric8's Kubernetes model (every field a known one) and agrees
 * with what serve does: its container arguments parse as serve's own options, the probes hit
 * serve's health paths on its port, the grace period covers the preStop sleep and serve's
 * drain, the selectors select the pods, the autoscalers' metrics are metrics serve exports,
 * and the PrometheusRule holds exactly the shipped rules. {@link #problems} lists every
 * disagreement; the tests after the first show that it finds one when a manifest drifts.
 */
class KubernetesManifestsTest {
    private static final Path DEPLOY = Path.of(System.getProperty("recops.deploy"));
    private static final Path MANIFESTS = DEPLOY.resolve("kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern METRIC = Pattern.compile("\\brecops_[a-z_]+\\b");

    /** Every YAML document of deploy/kubernetes, by file, as trees (mutable, for the drift tests). */
    private static Map<String, List<ObjectNode>> documents() throws IOException {
        Map<String, List<ObjectNode>> all = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                List<ObjectNode> docs = new ArrayList<>();
                try (var parser = YAML.getFactory().createParser(file.toFile())) {
                    YAML.readValues(parser, ObjectNode.class).forEachRemaining(docs::add);
                }
                all.put(file.getFileName().toString(), docs);
            }
        }
        return all;
    }

    @Test
    void theShippedManifestsAgreeWithServe() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        assertThat(docs.keySet()).contains("deployment.yaml", "service.yaml", "poddisruptionbudget.yaml", "servicemonitor.yaml",
                "prometheusrule.yaml", "keda-scaledobject.yaml", "hpa-prometheus-adapter.yaml", "kustomization.yaml");
        assertThat(problems(docs)).isEmpty();
    }

    @Test
    void everyFileTheKustomizationListsExistsAndEveryManifestIsListedOrAnAlternative() throws IOException {
        JsonNode kustomization = documents().get("kustomization.yaml").getFirst();
        Set<String> listed = new LinkedHashSet<>();
        kustomization.get("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = new LinkedHashSet<>(documents().keySet());
        files.remove("kustomization.yaml");
        files.remove("hpa-prometheus-adapter.yaml"); // the alternative to KEDA
        assertThat(listed).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void aPortThatServeDoesNotListenOnIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ArrayNode args = (ArrayNode) serveContainer(docs).get("args");
        replaceArg(args, "--port=", "--port=9090");
        assertThat(problems(docs)).anyMatch(p -> p.contains("containerPort 8080") && p.contains("9090"));
    }

    @Test
    void aDrainLongerThanTheGracePeriodIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        replaceArg((ArrayNode) serveContainer(docs).get("args"), "--drain-timeout=", "--drain-timeout=60s");
        assertThat(problems(docs)).anyMatch(p -> p.contains("terminationGracePeriodSeconds"));
    }

    @Test
    void aServeThatIsPidOneIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ((ObjectNode) docs.get("deployment.yaml").getFirst().path("spec").path("template").path("spec")).remove("shareProcessNamespace");
        assertThat(problems(docs)).anyMatch(p -> p.contains("shareProcessNamespace"));
    }

    @Test
    void anOptionServeDoesNotHaveIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ((ArrayNode) serveContainer(docs).get("args")).add("--drain-dealy=5s");
        assertThat(problems(docs)).anyMatch(p -> p.contains("--drain-dealy"));
    }

    @Test
    void aProbePathServeDoesNotAnswerIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ((ObjectNode) serveContainer(docs).get("readinessProbe").get("httpGet")).put("path", "/healthz");
        assertThat(problems(docs)).anyMatch(p -> p.contains("/healthz"));
    }

    @Test
    void aMetricServeDoesNotExportIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ObjectNode trigger = (ObjectNode) docs.get("keda-scaledobject.yaml").getFirst().get("spec").get("triggers").get(0).get("metadata");
        trigger.put("query", "sum(recops_queue_length)");
        assertThat(problems(docs)).anyMatch(p -> p.contains("recops_queue_length"));
    }

    @Test
    void aMisspelledFieldIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ObjectNode container = serveContainer(docs);
        container.set("readinesProbe", container.remove("readinessProbe"));
        assertThat(problems(docs)).anyMatch(p -> p.contains("readinesProbe"));
    }

    @Test
    void aRuleEditedOnlyInThePrometheusRuleIsFound() throws IOException {
        Map<String, List<ObjectNode>> docs = documents();
        ObjectNode rule = (ObjectNode) docs.get("prometheusrule.yaml").getFirst().get("spec").get("groups").get(1).get("rules").get(0);
        rule.put("for", "10m");
        assertThat(problems(docs)).anyMatch(p -> p.contains("recops-rules.yml"));
    }

    private static ObjectNode serveContainer(Map<String, List<ObjectNode>> docs) {
        return (ObjectNode) docs.get("deployment.yaml").getFirst().get("spec").get("template").get("spec").get("containers").get(0);
    }

    private static void replaceArg(ArrayNode args, String prefix, String replacement) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).asText().startsWith(prefix)) {
                args.set(i, replacement);
                return;
            }
        }
        throw new AssertionError("no " + prefix + " in " + args);
    }

    /** Every disagreement between the manifests and serve, one line each; empty when they agree. */
    static List<String> problems(Map<String, List<ObjectNode>> docs) throws IOException {
        List<String> problems = new ArrayList<>();
        List<KubernetesResource> resources = new ArrayList<>();
        for (var file : docs.entrySet()) {
            if (file.getKey().equals("kustomization.yaml")) {
                continue;
            }
            for (ObjectNode doc : file.getValue()) {
                KubernetesResource r = YAML.treeToValue(doc, KubernetesResource.class);
                unknownFields(r, file.getKey() + " " + doc.path("kind").asText(), problems);
                resources.add(r);
            }
        }
        Deployment deployment = one(resources, Deployment.class);
        Service service = one(resources, Service.class);
        Container serve = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();

        // The container's arguments are serve's command line.
        List<String> args = serve.getArgs();
        if (args.isEmpty() || !args.getFirst().equals("serve")) {
            problems.add("deployment.yaml: the container's args start with " + args + ", not serve");
            return problems;
        }
        CommandLine.ParseResult parsed;
        try {
            parsed = Main.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(java.io.Writer.nullWriter()))
                    .parseArgs(args.toArray(String[]::new)).subcommand();
        } catch (CommandLine.ParameterException e) {
            problems.add("deployment.yaml: serve refuses the container's args: " + e.getMessage());
            return problems;
        }
        int port = parsed.matchedOptionValue("--port", 8080);
        Duration drainDelay = parsed.matchedOptionValue("--drain-delay", Duration.ofSeconds(2));
        Duration drainTimeout = parsed.matchedOptionValue("--drain-timeout", Duration.ofSeconds(10));
        String host = parsed.matchedOptionValue("--host", "127.0.0.1");
        if (!host.equals("0.0.0.0") && !host.equals("::")) {
            problems.add("deployment.yaml: serve listens on " + host + ", which the Service cannot reach: --host=0.0.0.0");
        }
        Map<String, Integer> containerPorts = new java.util.HashMap<>();
        for (ContainerPort p : serve.getPorts()) {
            containerPorts.put(p.getName(), p.getContainerPort());
            if ("http".equals(p.getName()) && p.getContainerPort() != port) {
                problems.add("deployment.yaml: containerPort " + p.getContainerPort() + " named http, but serve listens on --port " + port);
            }
        }

        // Probes: serve's paths, on serve's port.
        for (var probe : Map.of("readinessProbe", nullable(serve.getReadinessProbe()), "livenessProbe", nullable(serve.getLivenessProbe()),
                "startupProbe", nullable(serve.getStartupProbe())).entrySet()) {
            HTTPGetAction get = probe.getValue().map(Probe::getHttpGet).orElse(null);
            if (get == null) {
                problems.add("deployment.yaml: no HTTP " + probe.getKey());
                continue;
            }
            if (!ServeServer.ROUTES.contains(get.getPath()) || !get.getPath().startsWith("/v2/health/")) {
                problems.add("deployment.yaml: " + probe.getKey() + " asks " + get.getPath() + ", not one of serve's health paths");
            }
            if (portOf(get.getPort(), containerPorts) != port) {
                problems.add("deployment.yaml: " + probe.getKey() + " asks port " + get.getPort() + ", serve listens on " + port);
            }
        }
        Probe readiness = serve.getReadinessProbe();
        if (readiness != null && readiness.getHttpGet() != null) {
            if (!readiness.getHttpGet().getPath().equals("/v2/health/ready")) {
                problems.add("deployment.yaml: readiness must be /v2/health/ready (it turns 503 when a drain starts)");
            }
            long seesDrain = (long) readiness.getPeriodSeconds() * readiness.getFailureThreshold();
            if (seesDrain >= drainDelay.toSeconds()) {
                problems.add("deployment.yaml: the readiness probe needs " + seesDrain + " s to see a drain, not less than --drain-delay "
                        + drainDelay.toSeconds() + " s");
            }
        }

        // Stopping: preStop sleep, then serve's drain, within the grace period.
        long preStop = 0;
        if (serve.getLifecycle() != null && serve.getLifecycle().getPreStop() != null && serve.getLifecycle().getPreStop().getSleep() != null) {
            preStop = serve.getLifecycle().getPreStop().getSleep().getSeconds();
        } else {
            problems.add("deployment.yaml: no preStop sleep (the endpoints' removal needs time to reach every proxy before SIGTERM)");
        }
        Long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        long needed = preStop + drainDelay.toSeconds() + drainTimeout.toSeconds();
        if (grace == null || grace <= needed) {
            problems.add("deployment.yaml: terminationGracePeriodSeconds " + grace + " does not exceed preStop " + preStop + " s + --drain-delay "
                    + drainDelay.toSeconds() + " s + --drain-timeout " + drainTimeout.toSeconds() + " s = " + needed + " s");
        }

        // The drill's pause (kubectl exec ... kill -STOP -1) reaches serve only if serve is not the
        // PID namespace's init (the kernel drops SIGSTOP to init from inside its namespace).
        if (!Boolean.TRUE.equals(deployment.getSpec().getTemplate().getSpec().getShareProcessNamespace())) {
            problems.add("deployment.yaml: shareProcessNamespace is not true: serve would be PID 1, which ignores the SIGSTOP of recops "
                    + "drill's pause_replica");
        }

        // Selectors select the pods; the Service reaches the named port.
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        selects("deployment.yaml selector", deployment.getSpec().getSelector().getMatchLabels(), podLabels, problems);
        selects("service.yaml selector", service.getSpec().getSelector(), podLabels, problems);
        selects("poddisruptionbudget.yaml selector", one(resources, PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels(),
                podLabels, problems);
        Set<String> servicePorts = new LinkedHashSet<>();
        service.getSpec().getPorts().forEach(p -> {
            servicePorts.add(p.getName());
            if (portOf(p.getTargetPort(), containerPorts) != port) {
                problems.add("service.yaml: port " + p.getName() + " targets " + p.getTargetPort() + ", serve listens on " + port);
            }
        });
        GenericKubernetesResource monitor = generic(resources, "ServiceMonitor");
        selects("servicemonitor.yaml selector", monitor.get("spec", "selector", "matchLabels"), service.getMetadata().getLabels(), problems);
        List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
        for (Map<String, Object> e : endpoints) {
            if (!servicePorts.contains((String) e.get("port"))) {
                problems.add("servicemonitor.yaml: scrapes port " + e.get("port") + ", which the Service does not have");
            }
            if (!"/metrics".equals(e.get("path")) || !ServeServer.ROUTES.contains("/metrics")) {
                problems.add("servicemonitor.yaml: scrapes " + e.get("path") + ", serve's metrics are at /metrics");
            }
        }

        // The autoscalers' metrics are serve's, and they scale this Deployment.
        Set<String> exported = exportedMetricNames();
        GenericKubernetesResource scaled = generic(resources, "ScaledObject");
        if (!deployment.getMetadata().getName().equals(scaled.get("spec", "scaleTargetRef", "name"))) {
            problems.add("keda-scaledobject.yaml: scales " + scaled.get("spec", "scaleTargetRef", "name") + ", not the Deployment");
        }
        List<Map<String, Object>> triggers = scaled.get("spec", "triggers");
        for (Map<String, Object> t : triggers) {
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) t.get("metadata");
            metricsIn("keda-scaledobject.yaml", String.valueOf(metadata.get("query")), exported, problems);
        }
        HorizontalPodAutoscaler hpa = one(resources, HorizontalPodAutoscaler.class);
        if (!deployment.getMetadata().getName().equals(hpa.getSpec().getScaleTargetRef().getName())) {
            problems.add("hpa-prometheus-adapter.yaml: scales " + hpa.getSpec().getScaleTargetRef().getName() + ", not the Deployment");
        }
        hpa.getSpec().getMetrics().forEach(m -> metricsIn("hpa-prometheus-adapter.yaml", m.getPods().getMetric().getName(), exported, problems));
        resources.stream().filter(io.fabric8.kubernetes.api.model.ConfigMap.class::isInstance).map(io.fabric8.kubernetes.api.model.ConfigMap.class::cast)
                .forEach(c -> c.getData().values().forEach(v -> metricsIn("hpa-prometheus-adapter.yaml (adapter rules)", v, exported, problems)));

        // The PrometheusRule is the shipped rules file.
        JsonNode shipped = YAML.readTree(DEPLOY.resolve("prometheus/recops-rules.yml").toFile()).get("groups");
        JsonNode operator = YAML.valueToTree(generic(resources, "PrometheusRule").get("spec", "groups"));
        if (!shipped.equals(operator)) {
            problems.add("prometheusrule.yaml: its groups differ from deploy/prometheus/recops-rules.yml (run scripts/update-docs)");
        }
        for (JsonNode group : shipped) {
            group.get("rules").forEach(r -> metricsIn("recops-rules.yml", r.get("expr").asText(), exported, problems));
        }
        return problems;
    }

    private static <T> java.util.Optional<T> nullable(T value) {
        return java.util.Optional.ofNullable(value);
    }

    private static int portOf(IntOrString port, Map<String, Integer> named) {
        if (port == null) {
            return -1;
        }
        return port.getIntVal() != null ? port.getIntVal() : named.getOrDefault(port.getStrVal(), -1);
    }

    private static void selects(String what, Map<String, String> selector, Map<String, String> labels, List<String> problems) {
        if (selector == null || selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
            problems.add(what + " " + selector + " does not select labels " + labels);
        }
    }

    private static void metricsIn(String where, String text, Set<String> exported, List<String> problems) {
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            if (!exported.contains(m.group())) {
                problems.add(where + ": " + m.group() + " is not a metric serve exports");
            }
        }
    }

    /** Metric names in a real /metrics exposition of serve's metrics, with a version's queue and batcher and a request counted, as a server's. */
    private static Set<String> exportedMetricNames() throws IOException {
        ServerMetrics metrics = new ServerMetrics();
        metrics.queue("search-encoder", "1", () -> 0, 256);
        metrics.batchObserver("search-encoder", "1"); // what a loaded version registers
        metrics.modelLoaded("search-encoder", "1", 0.1);
        metrics.requestStarted();
        metrics.recordRequest("search", "search-encoder", "1", 200, 0.01);
        metrics.requestFinished();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write("text/plain; version=0.0.4", out);
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^(recops_[a-z_]+)").matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static <T> T one(List<KubernetesResource> resources, Class<T> type) {
        List<T> found = resources.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("one " + type.getSimpleName()).hasSize(1);
        return found.getFirst();
    }

    private static GenericKubernetesResource generic(List<KubernetesResource> resources, String kind) {
        List<GenericKubernetesResource> found = resources.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast).filter(r -> r.getKind().equals(kind)).toList();
        assertThat(found).as("one " + kind).hasSize(1);
        return found.getFirst();
    }

    /**
     * Fields fabric8's model does not know land in its objects' additional properties instead of
     * failing the parse: a misspelt field would be ignored by the API server's lenient decoders
     * too, so every one is a problem. Custom resources (no model here) are not checked.
     */
    private static void unknownFields(Object value, String where, List<String> problems) {
        if (value == null || value instanceof GenericKubernetesResource) {
            return;
        }
        if (value instanceof Iterable<?> items) {
            items.forEach(i -> unknownFields(i, where, problems));
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.values().forEach(v -> unknownFields(v, where, problems));
            return;
        }
        if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (var method : value.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || !method.getName().startsWith("get") || method.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = method.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (method.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(where + ": unknown field(s) " + extra.keySet() + " in " + value.getClass().getSimpleName());
                }
                continue;
            }
            unknownFields(child, where, problems);
        }
    }
}
