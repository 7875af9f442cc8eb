package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.telemetry.PrometheusText;
import dev.recops.engine.telemetry.TopSnapshot;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code recops top} shows of one interval: per server and version the rates, shares,
 * latencies and states from two scrapes of /metrics, a sparkline of the last minute's rate, and
 * from the admin status (when reachable) the traffic split and the last canary verdict. Text for
 * the screen or JSON for scripts.
 */
final class TopView {
    private static final String SPARKS = "▁▂▃▄▅▆▇█";
    static final List<String> ORDERS = List.of("rate", "p99", "name");
    static final List<String> VIEWS = List.of("versions", "servers");

    /** One server's scrape: /metrics samples, or why there are none; its admin status, or why not, or nothing when not asked. */
    record Scrape(long nanos, List<PrometheusText.Sample> samples, String error, JsonNode admin, String adminError) {}

    private final Duration interval;
    private final boolean interactive;
    private final Map<String, ArrayDeque<Double>> history = new HashMap<>();
    int order;
    int view;

    /** {@code interactive}: the live view, whose header names its keys; else one interval printed once. */
    TopView(Duration interval, boolean interactive) {
        this.interval = interval;
        this.interactive = interactive;
    }

    private static TopSnapshot snapshot(Scrape before, Scrape now) {
        return TopSnapshot.between(before.samples(), now.samples(), Math.max(1e-3, (now.nanos() - before.nanos()) / 1e9));
    }

    List<String> lines(Map<String, Scrape> last, Map<String, Scrape> now) {
        List<String> out = new ArrayList<>();
        out.add(interactive
                ? String.format(Locale.ROOT, "recops top  %s  every %s  view: %s  order: %s  (q quit, v view, s order)",
                        LocalTime.now().withNano(0), DurationConverter.format(interval), VIEWS.get(view), ORDERS.get(order))
                : String.format(Locale.ROOT, "recops top  %s  the %s before  view: %s  order: %s",
                        LocalTime.now().withNano(0), DurationConverter.format(interval), VIEWS.get(view), ORDERS.get(order)));
        if (view == 1) {
            servers(last, now, out);
            return out;
        }
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
                ArrayDeque<Double> h = remember(e.getKey() + " " + v.model() + ":" + v.version(), v.requestsPerSecond());
                out.add(String.format(Locale.ROOT, "%-28s %-14s %8.1f %7.2f %8s %8s %6.0f %6.2f %-8s %-14s %s", server, v.model() + ":" + v.version(),
                        v.requestsPerSecond(), 100 * v.errorShare(), ms(v.p50Millis()), ms(v.p99Millis()), v.queueDepth(), v.meanBatch(),
                        v.breakerState() == 0 ? "closed" : v.breakerState() == 1 ? "OPEN" : "half-open", shed(v.shedPerSecond()), spark(h)));
            }
            out.add(String.format(Locale.ROOT, "%-28s in flight %.0f%s", "", s.inFlight(),
                    s.degradedPerSecond().isEmpty() ? "" : ", degraded/s " + shed(s.degradedPerSecond())));
            admin(e.getValue()).ifPresent(a -> out.add(String.format(Locale.ROOT, "%-28s %s", "", a)));
        }
        return out;
    }

    /** One row per server: totals over its versions, the worst p99, in flight, degraded and shed per second. */
    private void servers(Map<String, Scrape> last, Map<String, Scrape> now, List<String> out) {
        out.add(String.format(Locale.ROOT, "%-28s %8s %7s %10s %6s %9s %10s %8s %-13s %s", "SERVER", "REQ/S", "ERR%", "WORST P99", "QUEUE",
                "IN FLIGHT", "DEGRADED/S", "SHED/S", "BREAKERS", "RATE (last minute)"));
        List<String> rows = new ArrayList<>();
        Map<String, Double> sortKey = new HashMap<>();
        for (Map.Entry<String, Scrape> e : now.entrySet()) {
            String server = e.getKey().replaceFirst("^https?://", "");
            if (e.getValue().error() != null || last.get(e.getKey()).error() != null) {
                String row = String.format(Locale.ROOT, "%-28s DOWN: %s", server, e.getValue().error() != null ? e.getValue().error() : "answering again");
                rows.add(row);
                sortKey.put(row, Double.MAX_VALUE);
                continue;
            }
            TopSnapshot s = snapshot(last.get(e.getKey()), e.getValue());
            double rate = s.versions().stream().mapToDouble(TopSnapshot.Version::requestsPerSecond).sum();
            double errors = s.versions().stream().mapToDouble(v -> v.requestsPerSecond() * v.errorShare()).sum();
            Double worst = s.versions().stream().map(TopSnapshot.Version::p99Millis).filter(Objects::nonNull).max(Double::compare).orElse(null);
            long open = s.versions().stream().filter(v -> v.breakerState() != 0).count();
            ArrayDeque<Double> h = remember(e.getKey(), rate);
            String row = String.format(Locale.ROOT, "%-28s %8.1f %7.2f %10s %6.0f %9.0f %10.1f %8.1f %-13s %s", server, rate,
                    rate > 0 ? 100 * errors / rate : 0, ms(worst), s.versions().stream().mapToDouble(TopSnapshot.Version::queueDepth).sum(), s.inFlight(),
                    s.degradedPerSecond().values().stream().mapToDouble(Double::doubleValue).sum(),
                    s.versions().stream().flatMap(v -> v.shedPerSecond().values().stream()).mapToDouble(Double::doubleValue).sum(),
                    open == 0 ? "closed" : open + " not closed", spark(h));
            rows.add(row);
            sortKey.put(row, switch (order) {
                case 0 -> -rate;
                case 1 -> worst == null ? 0 : -worst;
                default -> 0.0;
            });
        }
        rows.stream().sorted(Comparator.comparingDouble((String r) -> sortKey.get(r)).thenComparing(r -> r)).forEach(out::add);
    }

    private ArrayDeque<Double> remember(String key, double rate) {
        ArrayDeque<Double> h = history.computeIfAbsent(key, k -> new ArrayDeque<>());
        h.addLast(rate);
        while (h.size() > Math.max(1, 60_000 / Math.max(1, interval.toMillis()))) {
            h.removeFirst();
        }
        return h;
    }

    /** {@code traffic: primary 1, canary 2 at 10%, no shadow; canary verdict pass at 09:31:02 (...)}. */
    private static Optional<String> admin(Scrape s) {
        if (s.adminError() != null) {
            return Optional.of("admin: " + s.adminError());
        }
        if (s.admin() == null) {
            return Optional.empty();
        }
        JsonNode t = s.admin().path("traffic");
        String canary = t.path("canary").path("version").asText("");
        StringBuilder b = new StringBuilder("traffic: primary ").append(t.path("primary_version").asText("-"))
                .append(canary.isEmpty() ? ", no canary" : ", canary " + canary + " at " + num(t.path("canary").path("percent").asDouble()) + "%")
                .append(t.path("shadow").asText("").isEmpty() ? ", no shadow" : ", shadow " + t.path("shadow").asText());
        JsonNode v = s.admin().path("canary_verdict");
        if (v.isObject()) {
            b.append(String.format(Locale.ROOT, "; last verdict on %s: %s at %s (p99 %.1f vs %.1f ms, errors %.2f%% vs %.2f%%)",
                    v.path("canary").asText(), v.path("decision").asText(), v.path("at").asText().replaceFirst(".*T(\\d\\d:\\d\\d:\\d\\d).*", "$1"),
                    v.path("canary_p99_ms").asDouble(), v.path("primary_p99_ms").asDouble(), 100 * v.path("canary_error_rate").asDouble(),
                    100 * v.path("primary_error_rate").asDouble()));
        }
        return Optional.of(b.toString());
    }

    ObjectNode json(Map<String, Scrape> last, Map<String, Scrape> now) {
        ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
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
            if (e.getValue().admin() != null) {
                s.set("traffic", e.getValue().admin().path("traffic"));
                s.set("canary_verdict", e.getValue().admin().path("canary_verdict"));
            } else if (e.getValue().adminError() != null) {
                s.put("admin_error", e.getValue().adminError());
            }
        }
        return root;
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
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
