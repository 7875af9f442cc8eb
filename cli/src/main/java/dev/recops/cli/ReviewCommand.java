package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.analysis.AnalysisException;
import dev.recops.analysis.review.AccessLogs;
import dev.recops.analysis.review.Charts;
import dev.recops.analysis.review.Events;
import dev.recops.analysis.review.Incident;
import dev.recops.analysis.review.Objective;
import dev.recops.analysis.review.Postmortem;
import dev.recops.analysis.review.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code recops review}: what the access logs say happened, minute by minute. */
@Command(
        name = "review",
        mixinStandardHelpOptions = true,
        subcommands = ReviewDriftCommand.class,
        description = {
            "Review serve's access logs (JSON Lines, plain or .gz, several files merged by time): per wall-clock minute the "
                    + "request rate, error rate, p50/p95/p99/p99.9 latency and the degraded and shed shares, with the minutes that "
                    + "breach each --slo and the worst one.",
            "%nThe incident: minutes whose p99 or error rate stand out from the first half of the period (robust z-score with the "
                    + "median and MAD, accumulated by a one-sided CUSUM; any --slo breach counts), with its start (the CUSUM's onset), "
                    + "end, the requests it hurt, the error budget it took (with an errors objective), and what differs: per dimension "
                    + "(endpoint, model version, status, degraded, k, query tokens), the value most over-represented among its failed "
                    + "or slow requests against every request outside it.",
            "%nMalformed lines are counted and located, never fatal. Exit 3 when any minute breaches an --slo (so a cron job or a "
                    + "CI step fails on it), else 0.",
            ""
        })
final class ReviewCommand implements Callable<Integer> {
    private static final String CHARTS = "charts";

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    // Not arity 1..*: picocli would then demand FILE of `review drift` too.
    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Access logs written by recops serve --access-log (at least one).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--from", paramLabel = "TIME", description = "Only requests at or after this RFC 3339 instant (2026-11-22T10:00:00Z).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Only requests before this RFC 3339 instant.")
    String to;

    @Option(names = "--events", paramLabel = "FILE", description = "Events to place on the timeline: serve's admin audit log, or "
            + "JSON Lines with ts and event (deploys, config changes); repeatable.")
    List<Path> eventFiles = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE.md", description = "Also write a postmortem draft in Markdown (SRE template; the parts only "
            + "people can write are left as prompts), with PNG charts in charts/ beside it: latency percentiles, and error, degraded and "
            + "shed shares per minute, the incident shaded, events marked.")
    Path postmortem;

    @Option(names = "--slo", paramLabel = "OBJECTIVE", description = "A per-minute objective: p99<=50ms (p50, p95, p99, p99.9) or "
            + "errors<=0.1%%; repeatable.")
    List<String> slo = new ArrayList<>();

    @Override
    public Integer call() {
        if (files.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'FILE'");
        }
        List<Objective> objectives = slo.stream().map(Objective::parse).toList();
        Instant fromTime = instant("--from", from);
        Instant toTime = instant("--to", to);
        if (fromTime != null && toTime != null && !fromTime.isBefore(toTime)) {
            throw AnalysisException.invalid("--from must be before --to");
        }
        if (postmortem != null) {
            Charts.warmUp();
        }
        AccessLogs.Loaded loaded = AccessLogs.read(files, fromTime, toTime);
        List<Timeline.Minute> minutes = Timeline.perMinute(loaded.table());
        java.util.Optional<Incident.Found> incident = Incident.find(loaded.table(), minutes, objectives);
        List<Events.Event> events = Events.read(eventFiles);
        java.util.Optional<Events.Event> trigger = incident.flatMap(f -> Events.lastBefore(events, f.start().plusSeconds(59)));
        PrintWriter out = spec.commandLine().getOut();
        if (postmortem != null) {
            writePostmortem(loaded.table().rowCount(), minutes, objectives, incident, events);
        }
        if (output.json()) {
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
                objectives.stream().filter(o -> !o.met(m)).forEach(o -> n.withArray("breaches").add(o.toString()));
            }
            ArrayNode ev = root.putArray("events");
            events.forEach(e -> ev.addObject().put("ts", e.at().toString()).put("event", e.what()).put("source", e.source()));
            incident.ifPresentOrElse(f -> {
                ObjectNode n = root.putObject("incident").put("start", f.start().toString()).put("end", f.end().toString())
                        .put("requests", f.requests()).put("bad_requests", f.badRequests()).put("worst_minute", f.worst().start().toString())
                        .put("worst_p99_ms", round(f.worst().p99()));
                if (Double.isFinite(f.budgetShare())) {
                    n.put("error_budget_consumed", round(f.budgetShare()));
                }
                trigger.ifPresent(e -> n.putObject("last_event_before").put("ts", e.at().toString()).put("event", e.what()));
                ArrayNode d = n.putArray("differences");
                f.differences().forEach(x -> d.addObject().put("dimension", x.dimension()).put("value", x.value())
                        .put("incident_share", round(x.incidentShare())).put("baseline_share", round(x.baselineShare())));
            }, () -> root.putNull("incident"));
            out.println(root.toPrettyString());
            return exitCode(minutes, objectives);
        }
        out.printf(Locale.ROOT, "recops review: %s in %s from %s%n", Plural.of(loaded.table().rowCount(), "request"), Plural.of(minutes.size(), "minute"),
                files.stream().map(Path::toString).collect(Collectors.joining(", ")));
        if (loaded.malformed() > 0) {
            out.printf(Locale.ROOT, "  %s skipped, e.g. %s%n", Plural.of(loaded.malformed(), "malformed line"), String.join(", ", loaded.malformedExamples()));
        }
        if (loaded.outsideWindow() > 0) {
            out.printf(Locale.ROOT, "  %s outside --from/--to left out%n", Plural.of(loaded.outsideWindow(), "request"));
        }
        out.printf(Locale.ROOT, "  %-17s %8s %7s %8s %8s %8s %8s %6s %6s  %s%n", "minute (UTC)", "req/s", "errors", "p50", "p95", "p99", "p99.9",
                "degr.", "shed", objectives.isEmpty() ? "" : "breaches");
        for (Timeline.Minute m : minutes) {
            String breaches = objectives.stream().filter(o -> !o.met(m)).map(Objective::toString).collect(Collectors.joining(" "));
            out.printf(Locale.ROOT, "  %-17s %8.1f %6.2f%% %8.1f %8.1f %8.1f %8.1f %5.1f%% %5.1f%%  %s%n", m.start().toString().substring(0, 16) + "Z",
                    m.perSecond(), 100 * m.errorRate(), m.p50(), m.p95(), m.p99(), m.p999(), 100 * m.degradedShare(), 100 * m.shedShare(), breaches);
        }
        for (Events.Event e : events) {
            out.printf(Locale.ROOT, "  event %s  %s%n", e.at(), e.what());
        }
        for (Objective o : objectives) {
            List<Timeline.Minute> bad = minutes.stream().filter(m -> !o.met(m)).toList();
            Timeline.Minute worst = minutes.stream().max(java.util.Comparator.comparingDouble(m -> m.metric(o.metric()))).orElse(null);
            out.printf(Locale.ROOT, "  %s: %d of %s breached%s%n", o, bad.size(), Plural.of(minutes.size(), "minute"),
                    worst == null ? "" : ", worst " + worst.start().toString().substring(0, 16) + "Z");
        }
        incident.ifPresentOrElse(f -> {
            out.printf(Locale.ROOT, "incident %s to %s: %d of %d requests failed or were slow%s; worst minute %s (p99 %.1f ms)%n",
                    f.start().toString().substring(0, 16) + "Z", f.end().toString().substring(0, 16) + "Z", f.badRequests(), f.requests(),
                    Double.isFinite(f.budgetShare()) ? String.format(Locale.ROOT, ", %.0f%% of the period's error budget", 100 * f.budgetShare()) : "",
                    f.worst().start().toString().substring(0, 16) + "Z", f.worst().p99());
            trigger.ifPresent(e -> out.printf(Locale.ROOT, "  last event before it: %s %s (%s)%n", e.at(), e.what(), e.source()));
            out.println("  what differs (share of the bad requests in the incident / of all requests outside it):");
            for (Incident.Difference d : f.differences()) {
                out.printf(Locale.ROOT, "    %-14s %-28s %5.1f%% / %5.1f%%%n", d.dimension(), d.value(), 100 * d.incidentShare(), 100 * d.baselineShare());
            }
        }, () -> out.println("no incident: no minute stands out from the first half of the period (robust z-score, CUSUM)"));
        return exitCode(minutes, objectives);
    }

    /** 3 when any minute breaches an objective: the gate a cron job or CI step relies on. */
    private static int exitCode(List<Timeline.Minute> minutes, List<Objective> objectives) {
        return objectives.stream().anyMatch(o -> minutes.stream().anyMatch(m -> !o.met(m))) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    /** The draft, and its charts in charts/ beside it (linked from the draft by relative path). */
    private void writePostmortem(long requests, List<Timeline.Minute> minutes, List<Objective> objectives,
                                 java.util.Optional<Incident.Found> incident, List<Events.Event> events) {
        Path dir = postmortem.toAbsolutePath().getParent();
        try {
            List<String> charts = Charts.write(dir.resolve(CHARTS), minutes, objectives, incident, events).stream()
                    .map(p -> CHARTS + "/" + p.getFileName()).toList();
            java.nio.file.Files.writeString(postmortem, Postmortem.draft(files.stream().map(Path::toString).toList(), requests,
                    minutes, objectives, incident, events, charts));
        } catch (java.io.IOException e) {
            throw new dev.recops.engine.RecopsException.Failure("io_error", "cannot write " + postmortem + " or its charts: " + e.getMessage(), e);
        }
    }

    private static Instant instant(String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw AnalysisException.invalid(option + " \"" + value + "\" is not an RFC 3339 instant such as 2026-11-22T10:00:00Z");
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
