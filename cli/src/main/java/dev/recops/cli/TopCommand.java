package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.telemetry.TopSnapshot;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Display;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code recops top}: a live view of one or more servers from their /metrics, refreshed every interval. */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of recops servers from /metrics: per server and version, requests/s, error share, p50 and p99 "
                + "(from histogram deltas), queue depth, mean batch, shed by reason and breaker state; in-flight requests and degraded "
                + "answers per server; a sparkline of the last minute's rate. Keys: q quits, s switches the order (rate, p99, name). "
                + "A server that does not answer is shown as down. --once prints one interval's snapshot (text or --format json).", ""})
final class TopCommand implements Callable<Integer> {
    private static final String SPARKS = "▁▂▃▄▅▆▇█";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "URL", arity = "0..*", description = "Servers to watch (default: http://127.0.0.1:8080).")
    List<String> urls = new ArrayList<>(List.of("http://127.0.0.1:8080"));

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "Time between scrapes (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--once", description = "Scrape twice, one interval apart, print that interval and exit.")
    boolean once;

    @Mixin
    OutputOptions output;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Map<String, ArrayDeque<Double>> history = new HashMap<>();
    private int order;

    @Override
    public Integer call() throws Exception {
        Map<String, Scrape> last = scrapeAll();
        if (once) {
            Thread.sleep(interval.toMillis());
            Map<String, Scrape> now = scrapeAll();
            var out = spec.commandLine().getOut();
            if (output.json()) {
                out.println(json(last, now).toPrettyString());
            } else {
                lines(last, now).forEach(out::println);
            }
            out.flush();
            return now.values().stream().allMatch(s -> s.error() == null) ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            var attributes = terminal.enterRawMode(); // raw: Ctrl-C arrives as a key
            Display display = new Display(terminal, true);
            NonBlockingReader keys = terminal.reader();
            try {
                while (true) {
                    int key = keys.read(interval.toMillis());
                    if (key == 'q' || key == 'Q' || key == 3 /* Ctrl-C */ || key == NonBlockingReader.EOF) {
                        return ExitCodes.OK;
                    }
                    if (key == 's' || key == 'S') {
                        order = (order + 1) % 3;
                    }
                    Map<String, Scrape> now = scrapeAll();
                    display.resize(terminal.getHeight(), terminal.getWidth());
                    display.update(lines(last, now).stream().map(AttributedString::new).toList(), -1);
                    last = now;
                }
            } finally {
                terminal.setAttributes(attributes);
                terminal.writer().println();
            }
        }
    }

    private record Scrape(long nanos, List<TopSnapshot.Sample> samples, String error) {}

    private Map<String, Scrape> scrapeAll() {
        Map<String, Scrape> out = new java.util.LinkedHashMap<>();
        urls.parallelStream().map(u -> Map.entry(u, scrape(u))).toList().forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private Scrape scrape(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/metrics")).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? new Scrape(System.nanoTime(), TopSnapshot.parse(r.body()), null)
                    : new Scrape(System.nanoTime(), List.of(), "HTTP " + r.statusCode());
        } catch (java.net.ConnectException e) {
            return new Scrape(System.nanoTime(), List.of(), "connection refused");
        } catch (java.io.IOException | IllegalArgumentException e) {
            return new Scrape(System.nanoTime(), List.of(), e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Scrape(System.nanoTime(), List.of(), "interrupted");
        }
    }

    private static TopSnapshot snapshot(Scrape before, Scrape now) {
        return TopSnapshot.between(before.samples(), now.samples(), Math.max(1e-3, (now.nanos() - before.nanos()) / 1e9));
    }

    private List<String> lines(Map<String, Scrape> last, Map<String, Scrape> now) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "recops top  %s  every %s  order: %s  (q quit, s order)", java.time.LocalTime.now().withNano(0),
                DurationConverter.format(interval), List.of("rate", "p99", "name").get(order)));
        out.add(String.format(Locale.ROOT, "%-28s %-14s %8s %7s %8s %8s %6s %6s %-8s %-14s %s", "SERVER", "VERSION", "REQ/S", "ERR%", "P50 ms",
                "P99 ms", "QUEUE", "BATCH", "BREAKER", "SHED/S", "RATE (last minute)"));
        for (Map.Entry<String, Scrape> e : now.entrySet()) {
            String server = e.getKey().replaceFirst("^https?://", "");
            if (e.getValue().error() != null || last.get(e.getKey()).error() != null) {
                out.add(String.format(Locale.ROOT, "%-28s DOWN: %s", server, e.getValue().error() != null ? e.getValue().error() : "answering again"));
                continue;
            }
            TopSnapshot s = snapshot(last.get(e.getKey()), e.getValue());
            List<TopSnapshot.Version> rows = new ArrayList<>(s.versions());
            rows.sort(switch (order) {
                case 0 -> Comparator.comparingDouble((TopSnapshot.Version v) -> -v.requestsPerSecond());
                case 1 -> Comparator.comparingDouble((TopSnapshot.Version v) -> v.p99Millis() == null ? 0 : -v.p99Millis());
                default -> Comparator.comparing((TopSnapshot.Version v) -> v.model() + ":" + v.version());
            });
            for (TopSnapshot.Version v : rows) {
                ArrayDeque<Double> h = history.computeIfAbsent(e.getKey() + " " + v.model() + ":" + v.version(), k -> new ArrayDeque<>());
                h.addLast(v.requestsPerSecond());
                while (h.size() > Math.max(1, 60_000 / Math.max(1, interval.toMillis()))) {
                    h.removeFirst();
                }
                out.add(String.format(Locale.ROOT, "%-28s %-14s %8.1f %7.2f %8s %8s %6.0f %6.2f %-8s %-14s %s", server, v.model() + ":" + v.version(),
                        v.requestsPerSecond(), 100 * v.errorShare(), ms(v.p50Millis()), ms(v.p99Millis()), v.queueDepth(), v.meanBatch(),
                        v.breakerState() == 0 ? "closed" : v.breakerState() == 1 ? "OPEN" : "half-open", shed(v.shedPerSecond()), spark(h)));
            }
            out.add(String.format(Locale.ROOT, "%-28s in flight %.0f%s", "", s.inFlight(),
                    s.degradedPerSecond().isEmpty() ? "" : ", degraded/s " + shed(s.degradedPerSecond())));
        }
        return out;
    }

    private ObjectNode json(Map<String, Scrape> last, Map<String, Scrape> now) {
        ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);
        ObjectNode root = mapper.createObjectNode().put("interval_seconds", interval.toMillis() / 1e3);
        ArrayNode servers = root.putArray("servers");
        for (Map.Entry<String, Scrape> e : now.entrySet()) {
            ObjectNode s = servers.addObject().put("url", e.getKey());
            String error = e.getValue().error() != null ? e.getValue().error() : last.get(e.getKey()).error();
            s.put("up", error == null);
            if (error != null) {
                s.put("error", error);
                continue;
            }
            s.set("snapshot", mapper.valueToTree(snapshot(last.get(e.getKey()), e.getValue())));
        }
        return root;
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String shed(Map<String, Double> perReason) {
        if (perReason.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        perReason.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append(' ').append(String.format(Locale.ROOT, "%.1f", v)));
        return b.toString();
    }

    private static String spark(ArrayDeque<Double> values) {
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(SPARKS.charAt(max <= 0 ? 0 : (int) Math.round(v / max * (SPARKS.length() - 1))));
        }
        return b.toString();
    }
}
