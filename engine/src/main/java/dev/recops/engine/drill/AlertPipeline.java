package dev.recops.engine.drill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpServer;
import dev.recops.engine.Poll;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.objective.Durations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;

/**
 * The real alerting pipeline beside a local drill, from Debian's packages: Prometheus scraping
 * every replica and HAProxy with the shipped recording and alerting rules, Alertmanager routing
 * to a webhook receiver in this process. It records when each alert went pending (Prometheus'
 * {@code activeAt}), fired and resolved (seen by polling {@code /api/v1/alerts} every 250 ms),
 * and when Alertmanager notified the receiver.
 *
 * <p>What the drill shortens, and nothing else: the scrape and evaluation intervals (1 s, and
 * every rule group's own interval set to it in the drill's copy of the rules) and
 * Alertmanager's grouping waits (1 s), so that an alert is not late by a production interval.
 * The rules' windows and {@code for} durations are the shipped ones. Prometheus starts with an
 * empty database: a window of 1h holds only the drill's own minutes.
 */
final class AlertPipeline implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The rules as a person would write them: block scalars for the expressions, quotes only where needed. */
    private static final YAMLMapper YAML = YAMLMapper.builder().enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE).disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build();

    /** A process the pipeline started, and where its output goes. */
    private record Launched(Process process, Path log) {}

    private final List<Launched> processes = new ArrayList<>();
    private final HttpServer receiver;
    private final String prometheusUrl;
    private final Consumer<Journal.Event> events;
    private final Map<String, Journal.Alert> alerts = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, String> states = new HashMap<>();
    private volatile boolean stop;
    private final Thread poller;

    private AlertPipeline(HttpServer receiver, String prometheusUrl, Consumer<Journal.Event> events) {
        this.receiver = receiver;
        this.prometheusUrl = prometheusUrl;
        this.events = events;
        this.poller = Thread.ofPlatform().daemon().name("drill-alerts").unstarted(this::poll);
    }

    /**
     * Starts Alertmanager, the receiver and Prometheus, and waits until Prometheus has scraped
     * every target once.
     *
     * @param scrape job name to host:port targets (the replicas' data-plane ports, HAProxy's exporter)
     * @param rules the rules file to load (copied, with every group's interval set to {@link #INTERVAL})
     * @param events alert transitions, as they are seen
     */
    static AlertPipeline start(Path work, Map<String, List<String>> scrape, Path rules, Consumer<Journal.Event> events, Consumer<String> log) {
        String prometheus = binary("prometheus", "prometheus");
        String alertmanager = binary("alertmanager", "prometheus-alertmanager", "alertmanager");
        if (!Files.isRegularFile(rules)) {
            throw new RecopsException.PreconditionFailed("file_not_found", "alerting rules " + rules + " not found (see --rules)");
        }
        AlertPipeline p = null;
        try {
            HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            List<Integer> ports = LocalProcesses.freePorts(3);
            String promUrl = "http://127.0.0.1:" + ports.get(0);
            p = new AlertPipeline(receiver, promUrl, events);
            AlertPipeline self = p;
            receiver.createContext("/alerts", exchange -> {
                Instant at = Instant.now();
                try (exchange) {
                    JsonNode body = JSON.readTree(exchange.getRequestBody());
                    for (JsonNode a : body.path("alerts")) {
                        Journal.Transition.notified(a.path("status").asText())
                                .ifPresent(t -> self.transition(a.path("labels").path("alertname").asText("?"), t, at));
                    }
                    exchange.sendResponseHeaders(200, -1);
                } catch (IOException | RuntimeException e) {
                    exchange.sendResponseHeaders(400, -1);
                }
            });
            receiver.start();

            Path dir = Files.createDirectories(work.resolve("alerting"));
            Path amConfig = dir.resolve("alertmanager.yml");
            Files.writeString(amConfig, """
                    # written by recops drill: every alert to the drill's webhook receiver, grouped by name, without waiting
                    route:
                      receiver: drill
                      group_by: [alertname]
                      group_wait: 1s
                      group_interval: 1s
                      repeat_interval: 1h
                    receivers:
                      - name: drill
                        webhook_configs:
                          - url: http://127.0.0.1:%d/alerts
                            send_resolved: true
                    """.formatted(receiver.getAddress().getPort()));
            p.launch(List.of(alertmanager, "--config.file=" + amConfig, "--storage.path=" + dir.resolve("alertmanager-data"),
                    "--web.listen-address=127.0.0.1:" + ports.get(1), "--cluster.listen-address=", "--log.level=warn"), dir.resolve("alertmanager.log"));

            Path rulesCopy = dir.resolve("rules.yml");
            Files.writeString(rulesCopy, everyGroupEvery(rules, INTERVAL));
            StringBuilder cfg = new StringBuilder("""
                    # written by recops drill: scrape and evaluate every second; the rules' windows and for: are the shipped ones
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 900ms
                      evaluation_interval: 1s
                    rule_files: [%s]
                    alerting:
                      alertmanagers:
                        - static_configs:
                            - targets: ["127.0.0.1:%d"]
                    scrape_configs:
                    """.formatted(rulesCopy, ports.get(1)));
            scrape.forEach((job, targets) -> cfg.append("  - job_name: ").append(job).append("\n    static_configs:\n      - targets: [")
                    .append(String.join(", ", targets.stream().map(t -> "\"" + t + "\"").toList())).append("]\n"));
            Path promConfig = dir.resolve("prometheus.yml");
            Files.writeString(promConfig, cfg.toString());
            p.launch(List.of(prometheus, "--config.file=" + promConfig, "--storage.tsdb.path=" + dir.resolve("prometheus-data"),
                    "--web.listen-address=127.0.0.1:" + ports.get(0), "--log.level=warn"), dir.resolve("prometheus.log"));
            int targets = scrape.values().stream().mapToInt(List::size).sum();
            p.awaitTargetsUp(targets);
            log.accept("alerting: Prometheus " + promUrl + " scraping " + targets + " targets every 1s with " + rules.getFileName()
                    + ", Alertmanager 127.0.0.1:" + ports.get(1) + ", receiver 127.0.0.1:" + receiver.getAddress().getPort());
            p.poller.start();
            return p;
        } catch (IOException e) {
            if (p != null) {
                p.close();
            }
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (p != null) {
                p.close();
            }
            throw e;
        }
    }

    private static String binary(String what, String... names) {
        for (String n : names) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, n);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        throw new RecopsException.PreconditionFailed(what + "_missing", "a drill with alerting needs " + what + " on the PATH (Debian: apt-get install "
                + (what.equals("prometheus") ? "prometheus" : "prometheus-alertmanager") + ")");
    }

    private void launch(List<String> command, Path logFile) throws IOException {
        processes.add(new Launched(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start(), logFile));
    }

    /** The rules file with every group's evaluation {@code interval} set to {@code interval} (jackson-yaml: the file's structure, not its text). */
    static String everyGroupEvery(Path rules, Duration interval) throws IOException {
        JsonNode doc;
        try {
            doc = YAML.readTree(rules.toFile());
        } catch (JsonProcessingException e) {
            throw new RecopsException.InvalidInput("bad_rules", "alerting rules " + rules + " are not YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (doc == null || !doc.path("groups").isArray()) {
            throw new RecopsException.InvalidInput("bad_rules", "alerting rules " + rules + " have no groups: list (a Prometheus rules file)");
        }
        for (JsonNode group : doc.path("groups")) {
            if (group instanceof ObjectNode o) {
                o.put("interval", Durations.format(interval));
            }
        }
        return YAML.writeValueAsString(doc);
    }

    private void awaitTargetsUp(int count) {
        boolean up = Poll.until(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
            for (Launched l : processes) {
                if (!l.process().isAlive()) {
                    throw new RecopsException.PreconditionFailed("alerting_failed", l.process().info().command().orElse("a process")
                            + " exited with " + l.process().exitValue() + ": " + LocalProcesses.tail(l.log()));
                }
            }
            long healthy = get("/api/v1/targets?state=active").stream()
                    .flatMap(t -> StreamSupport.stream(t.path("data").path("activeTargets").spliterator(), false))
                    .filter(a -> a.path("health").asText().equals("up")).count();
            return healthy >= count;
        });
        if (up) {
            return;
        }
        throw new RecopsException.PreconditionFailed("alerting_not_ready", "Prometheus did not scrape all " + count + " targets within 30 s: "
                + get("/api/v1/targets?state=active").map(JsonNode::toString).orElse("no answer"));
    }

    private Optional<JsonNode> get(String path) {
        AdminClient.Answer a = AdminClient.get(prometheusUrl + path, Duration.ofMillis(900));
        if (!a.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(a.body()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void poll() {
        while (!stop) {
            Instant at = Instant.now();
            get("/api/v1/alerts").ifPresent(root -> {
                Map<String, String> now = new HashMap<>();
                Map<String, Instant> activeAt = new HashMap<>();
                for (JsonNode a : root.path("data").path("alerts")) {
                    String name = a.path("labels").path("alertname").asText("?");
                    String state = a.path("state").asText();
                    if (!"firing".equals(now.get(name))) {
                        now.put(name, state); // one name, several label sets: firing wins
                    }
                    try {
                        Instant active = Instant.parse(a.path("activeAt").asText());
                        activeAt.merge(name, active, (x, y) -> x.isBefore(y) ? x : y);
                    } catch (DateTimeParseException e) {
                        activeAt.putIfAbsent(name, at);
                    }
                }
                synchronized (states) {
                    now.forEach((name, state) -> {
                        String was = states.get(name);
                        if (state.equals(was)) {
                            return;
                        }
                        if (state.equals("pending") || was == null) {
                            transition(name, Journal.Transition.PENDING, activeAt.get(name));
                        }
                        if (state.equals("firing")) {
                            transition(name, Journal.Transition.FIRING, at);
                        }
                    });
                    for (String name : List.copyOf(states.keySet())) {
                        if (!now.containsKey(name)) {
                            transition(name, Journal.Transition.RESOLVED, at);
                        }
                    }
                    states.clear();
                    states.putAll(now);
                }
            });
            Poll.sleep(Duration.ofMillis(250));
        }
    }

    private void transition(String name, Journal.Transition t, Instant at) {
        Journal.Alert a = alerts.merge(name, new Journal.Alert(name, null, null, null, null, null).with(t, at), (old, fresh) -> old.with(t, at));
        boolean absorbed = t == Journal.Transition.RESOLVED && a.firingAt() == null;
        events.accept(new Journal.Event(at, "alert " + name + " " + (absorbed ? "no longer pending (never fired)" : t.label)));
    }

    /** Every alert seen so far, in the order they first appeared. */
    List<Journal.Alert> alerts() {
        synchronized (alerts) {
            return List.copyOf(alerts.values());
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            poller.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Launched l : processes) {
            l.process().destroy();
        }
        for (Process p : processes.stream().map(Launched::process).toList()) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        receiver.stop(0);
    }
}
