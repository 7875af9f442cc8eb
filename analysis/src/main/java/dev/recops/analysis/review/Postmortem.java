package dev.recops.analysis.review;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A postmortem draft in Markdown after the Google SRE template: summary, impact, detection,
 * timeline, what the data shows about the trigger, and the parts only people can write (root
 * cause, action items, lessons) left as prompts. Everything it states comes from the logs.
 */
public final class Postmortem {
    private Postmortem() {}

    public static String draft(List<String> files, long requests, List<Timeline.Minute> minutes, List<MinuteObjective> objectives,
                               Optional<Incident.Found> incident, List<Events.Event> events, List<String> charts,
                               List<LoadExplanation.Minute> explained) {
        StringBuilder md = new StringBuilder();
        Instant first = minutes.isEmpty() ? null : minutes.getFirst().start();
        Instant last = minutes.isEmpty() ? null : minutes.getLast().start().plusSeconds(60);
        md.append("# Postmortem draft: ").append(incident.map(f -> "incident of " + minute(f.start())).orElse("no incident found")).append("\n\n");
        md.append("Drafted by `recops review` from ").append(String.join(", ", files)).append(": ").append(requests).append(" requests");
        if (first != null) {
            md.append(", ").append(minute(first)).append(" to ").append(minute(last));
        }
        md.append(". Objectives: ").append(objectives.isEmpty() ? "none given" : objectives.toString()).append(".\n\n");
        md.append("## Summary\n\n");
        if (incident.isEmpty()) {
            md.append("No minute stood out from the first half of the period. _Was the window right?_\n");
            appendExplained(md, explained);
            appendCharts(md, charts);
            return md.toString();
        }
        Incident.Found f = incident.get();
        Incident.Difference top = f.differences().isEmpty() ? null : f.differences().getFirst();
        md.append(String.format(Locale.ROOT, "From %s to %s (%d min) %d of %d requests failed or were slow%s.", minute(f.start()), minute(f.end()),
                Duration.between(f.start(), f.end()).toMinutes(), f.badRequests(), f.requests(),
                top == null ? "" : String.format(Locale.ROOT, "; %.0f%% of them had %s = %s (%.0f%% of requests before and after)",
                        100 * top.incidentShare(), top.dimension(), top.value(), 100 * top.baselineShare())));
        md.append(" _One sentence for people: what broke, for whom._\n\n");
        md.append("## Impact\n\n");
        md.append(String.format(Locale.ROOT, "- Requests hurt: %d of %d in the window (%.1f%%).%n", f.badRequests(), f.requests(),
                f.requests() == 0 ? 0 : 100.0 * f.badRequests() / f.requests()));
        if (Double.isFinite(f.budgetShare())) {
            md.append(String.format(Locale.ROOT, "- Error budget of the period consumed: %.0f%%.%n", 100 * f.budgetShare()));
        }
        md.append(String.format(Locale.ROOT, "- Worst minute: %s, p99 %.1f ms, errors %.2f%%, %.1f requests/s.%n%n", minute(f.worst().start()),
                f.worst().p99(), 100 * f.worst().errorRate(), f.worst().perSecond()));
        md.append("## Detection\n\n");
        md.append("The minutes' p99 and error rate against the first half of the period (robust z-score, one-sided CUSUM)");
        md.append(objectives.isEmpty() ? "" : " and the objectives " + objectives);
        md.append(" put the start at ").append(minute(f.start())).append(". _When did a person or an alert notice, and how?_\n\n");
        md.append("## Timeline (UTC)\n\n| time | what |\n|---|---|\n");
        for (Events.Event e : events) {
            if (first == null || (!e.at().isBefore(first.minusSeconds(3600)) && e.at().isBefore(last.plusSeconds(3600)))) {
                md.append("| ").append(e.at()).append(" | ").append(e.what().replace("|", "\\|")).append(" |\n");
            }
        }
        md.append("| ").append(f.start()).append(" | incident starts (detected) |\n");
        md.append("| ").append(f.worst().start()).append(String.format(Locale.ROOT, " | worst minute: p99 %.1f ms |%n", f.worst().p99()));
        md.append("| ").append(f.end()).append(" | incident ends (detected) |\n\n");
        md.append("## What the data shows\n");
        appendCharts(md, charts);
        md.append("\n");
        Events.lastBefore(events, f.start().plusSeconds(59)).ifPresent(e -> md.append("Last event before the start: ").append(e.at())
                .append(" ").append(e.what()).append(".\n\n"));
        md.append("Share of the failed or slow requests in the incident against all requests outside it:\n\n");
        md.append("| dimension | value | incident | baseline |\n|---|---|---|---|\n");
        for (Incident.Difference d : f.differences()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.1f%% |%n", d.dimension(), d.value().replace("|", "\\|"),
                    100 * d.incidentShare(), 100 * d.baselineShare()));
        }
        appendExplained(md, explained);
        md.append("\n## Root cause\n\n_For people: why did it happen? The data above is where to start, not the answer._\n\n");
        md.append("## Action items\n\n| action | type (prevent / mitigate / detect) | owner | issue |\n|---|---|---|---|\n| | | | |\n\n");
        md.append("## Lessons learned\n\n_What went well, what went wrong, where we got lucky._\n");
        return md.toString();
    }

    /** The slow minutes against the latency model: explained by their load, or not. */
    private static void appendExplained(StringBuilder md, List<LoadExplanation.Minute> explained) {
        List<LoadExplanation.Minute> slow = explained.stream().filter(m -> m.verdict() != LoadExplanation.Verdict.NORMAL).toList();
        if (explained.isEmpty()) {
            return;
        }
        md.append("\nAgainst the latency model (the p99 it expects at each minute's rate, with the top of its 80% interval): ");
        if (slow.isEmpty()) {
            md.append("no minute was slow.\n");
            return;
        }
        md.append(String.format(Locale.ROOT, "%d slow minute(s) beyond what load explains, %d slow because of load.%n%n",
                slow.stream().filter(m -> m.verdict() == LoadExplanation.Verdict.BEYOND_LOAD).count(),
                slow.stream().filter(m -> m.verdict() == LoadExplanation.Verdict.LOAD).count()));
        md.append("| minute | requests/s | p99 observed | p99 expected (band) | verdict |\n|---|---|---|---|---|\n");
        for (LoadExplanation.Minute m : slow) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f ms | %s | %s |%n", minute(m.start()), m.rate(), m.observedP99(),
                    Double.isFinite(m.expectedP99()) ? String.format(Locale.ROOT, "%.1f ms (up to %.1f)", m.expectedP99(), m.upperP99()) : "over capacity",
                    m.verdict().label));
        }
    }

    private static void appendCharts(StringBuilder md, List<String> charts) {
        if (!charts.isEmpty()) {
            md.append("\n");
        }
        for (String c : charts) {
            md.append("![").append(c).append("](").append(c).append(")\n");
        }
    }

    private static String minute(Instant t) {
        return t.toString().substring(0, 16) + "Z";
    }
}
