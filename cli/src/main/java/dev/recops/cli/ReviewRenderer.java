package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.review.AccessLogs;
import dev.recops.analysis.review.Events;
import dev.recops.analysis.review.Incident;
import dev.recops.analysis.review.LoadExplanation;
import dev.recops.analysis.review.MinuteObjective;
import dev.recops.analysis.review.Review;
import dev.recops.analysis.review.Timeline;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** A review for people (a table per minute, the objectives, the incident) or as one JSON document. */
final class ReviewRenderer {
    private ReviewRenderer() {}

    static ObjectNode json(Review r) {
        AccessLogs.Loaded loaded = r.loaded();
        List<Timeline.Minute> minutes = r.minutes();
        List<MinuteObjective> objectives = r.objectives();
        List<Events.Event> events = r.events();
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("requests", loaded.table().rowCount()).put("malformed_lines", loaded.malformed()).put("outside_window", loaded.outsideWindow());
        loaded.malformedExamples().forEach(root.withArray("malformed_examples")::add);
        ArrayNode arr = root.putArray("minutes");
        for (Timeline.Minute m : minutes) {
            ObjectNode n = arr.addObject().put("start", m.start().toString()).put("requests", m.requests()).put("per_second", round(m.perSecond()))
                    .put("error_rate", round(m.errorRate())).put("p50_ms", round(m.p50())).put("p95_ms", round(m.p95()))
                    .put("p99_ms", round(m.p99())).put("p99_9_ms", round(m.p999())).put("degraded_share", round(m.degradedShare()))
                    .put("shed_share", round(m.shedShare()));
            if (Double.isFinite(m.cacheHitRatio())) {
                n.put("cache_hit_ratio", round(m.cacheHitRatio()));
            }
            objectives.stream().filter(o -> !o.met(m)).forEach(o -> n.withArray("breaches").add(o.toString()));
            r.explained().stream().filter(x -> x.start().equals(m.start())).findFirst().ifPresent(x -> {
                if (Double.isFinite(x.expectedP99())) {
                    n.put("expected_p99_ms", round(x.expectedP99())).put("expected_p99_upper_ms", round(x.upperP99()));
                } else {
                    n.putNull("expected_p99_ms").putNull("expected_p99_upper_ms"); // over the configuration's capacity
                }
                n.put("load_verdict", x.verdict().name().toLowerCase(Locale.ROOT));
            });
        }
        ArrayNode ev = root.putArray("events");
        events.forEach(e -> ev.addObject().put("ts", e.at().toString()).put("event", e.what()).put("source", e.source()));
        r.incident().ifPresentOrElse(f -> {
            ObjectNode n = root.putObject("incident").put("start", f.start().toString()).put("end", f.end().toString())
                    .put("requests", f.requests()).put("bad_requests", f.badRequests()).put("worst_minute", f.worst().start().toString())
                    .put("worst_p99_ms", round(f.worst().p99()));
            if (Double.isFinite(f.budgetShare())) {
                n.put("error_budget_consumed", round(f.budgetShare()));
            }
            r.trigger().ifPresent(e -> n.putObject("last_event_before").put("ts", e.at().toString()).put("event", e.what()));
            ArrayNode d = n.putArray("differences");
            f.differences().forEach(x -> d.addObject().put("dimension", x.dimension()).put("value", x.value())
                    .put("incident_share", round(x.incidentShare())).put("baseline_share", round(x.baselineShare())));
        }, () -> root.putNull("incident"));
        return root;
    }

    static void text(PrintWriter out, Review r, List<Path> files) {
        AccessLogs.Loaded loaded = r.loaded();
        List<Timeline.Minute> minutes = r.minutes();
        List<MinuteObjective> objectives = r.objectives();
        out.printf(Locale.ROOT, "recops review: %s in %s from %s%n", Plural.of(loaded.table().rowCount(), "request"), Plural.of(minutes.size(), "minute"),
                files.stream().map(Path::toString).collect(Collectors.joining(", ")));
        if (loaded.malformed() > 0) {
            out.printf(Locale.ROOT, "  %s skipped, e.g. %s%n", Plural.of(loaded.malformed(), "malformed line"), String.join(", ", loaded.malformedExamples()));
        }
        if (loaded.outsideWindow() > 0) {
            out.printf(Locale.ROOT, "  %s outside --from/--to left out%n", Plural.of(loaded.outsideWindow(), "request"));
        }
        boolean cached = minutes.stream().anyMatch(m -> Double.isFinite(m.cacheHitRatio()));
        out.printf(Locale.ROOT, "  %-17s %8s %7s %8s %8s %8s %8s %6s %6s %s %s%n", "minute (UTC)", "req/s", "errors", "p50", "p95", "p99", "p99.9",
                "degr.", "shed", cached ? " cache" : "", objectives.isEmpty() ? "" : "breaches");
        for (Timeline.Minute m : minutes) {
            String breaches = objectives.stream().filter(o -> !o.met(m)).map(MinuteObjective::toString).collect(Collectors.joining(" "));
            String hits = !cached ? "" : Double.isFinite(m.cacheHitRatio()) ? String.format(Locale.ROOT, "%5.1f%%", 100 * m.cacheHitRatio()) : "     -";
            out.printf(Locale.ROOT, "  %-17s %8.1f %6.2f%% %8.1f %8.1f %8.1f %8.1f %5.1f%% %5.1f%% %s %s%n", m.start().toString().substring(0, 16) + "Z",
                    m.perSecond(), 100 * m.errorRate(), m.p50(), m.p95(), m.p99(), m.p999(), 100 * m.degradedShare(), 100 * m.shedShare(), hits,
                    breaches);
        }
        for (Events.Event e : r.events()) {
            out.printf(Locale.ROOT, "  event %s  %s%n", e.at(), e.what());
        }
        for (LoadExplanation.Minute x : r.explained()) {
            if (x.verdict() != LoadExplanation.Verdict.NORMAL) {
                out.printf(Locale.ROOT, "  %s: p99 %.1f ms at %.1f/s, the model expects %s: %s%n", x.start().toString().substring(0, 16) + "Z",
                        x.observedP99(), x.rate(), Double.isFinite(x.expectedP99())
                                ? String.format(Locale.ROOT, "%.1f ms (up to %.1f)", x.expectedP99(), x.upperP99()) : "more than it sustains",
                        x.verdict().label);
            }
        }
        for (MinuteObjective o : objectives) {
            List<Timeline.Minute> bad = minutes.stream().filter(m -> !o.met(m)).toList();
            if (bad.isEmpty()) {
                out.printf(Locale.ROOT, "  %s: met in %s%n", o, minutes.size() == 1 ? "the one minute" : "all " + Plural.of(minutes.size(), "minute"));
                continue;
            }
            Timeline.Minute worst = bad.stream().max(Comparator.comparingDouble(m -> m.metric(o.metric()))).orElseThrow();
            out.printf(Locale.ROOT, "  %s: %d of %s breached, worst %s%n", o, bad.size(), Plural.of(minutes.size(), "minute"),
                    worst.start().toString().substring(0, 16) + "Z");
        }
        r.incident().ifPresentOrElse(f -> {
            out.printf(Locale.ROOT, "incident %s to %s: %d of %d requests failed or were slow%s; worst minute %s (p99 %.1f ms)%n",
                    f.start().toString().substring(0, 16) + "Z", f.end().toString().substring(0, 16) + "Z", f.badRequests(), f.requests(),
                    Double.isFinite(f.budgetShare()) ? String.format(Locale.ROOT, ", %.0f%% of the period's error budget", 100 * f.budgetShare()) : "",
                    f.worst().start().toString().substring(0, 16) + "Z", f.worst().p99());
            r.trigger().ifPresent(e -> out.printf(Locale.ROOT, "  last event before it: %s %s (%s)%n", e.at(), e.what(), e.source()));
            out.println("  what differs (share of the bad requests in the incident / of all requests outside it):");
            for (Incident.Difference d : f.differences()) {
                out.printf(Locale.ROOT, "    %-14s %-28s %5.1f%% / %5.1f%%%n", d.dimension(), d.value(), 100 * d.incidentShare(), 100 * d.baselineShare());
            }
        }, () -> out.println("no incident: no minute stands out from the first half of the period (robust z-score, CUSUM)"));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
