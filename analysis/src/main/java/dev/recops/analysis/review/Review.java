package dev.recops.analysis.review;

import dev.recops.analysis.latency.LatencyModel;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A review of access logs: the requests read, minute by minute against the objectives, the
 * incident if one stands out (and the last event before it), and the deploy events given. What
 * {@code recops review} prints; the command parses options and renders.
 *
 * @param trigger the last event before the incident's first minute ended
 * @param explained each minute against a latency model, when one was given
 */
public record Review(AccessLogs.Loaded loaded, List<Timeline.Minute> minutes, List<MinuteObjective> objectives, Optional<Incident.Found> incident,
                     List<Events.Event> events, Optional<Events.Event> trigger, List<LoadExplanation.Minute> explained) {

    /** @param from @param to the window of requests kept, either may be null */
    public static Review of(List<Path> files, Instant from, Instant to, List<MinuteObjective> objectives, List<Path> eventFiles,
                            Optional<LatencyModel> latencyModel) {
        AccessLogs.Loaded loaded = AccessLogs.read(files, from, to);
        List<Timeline.Minute> minutes = Timeline.perMinute(loaded.table());
        Optional<Incident.Found> incident = Incident.find(loaded.table(), minutes, objectives);
        List<Events.Event> events = Events.read(eventFiles);
        Optional<Events.Event> trigger = incident.flatMap(f -> Events.lastBefore(events, f.start().plusSeconds(59)));
        List<LoadExplanation.Minute> explained = latencyModel.map(m -> LoadExplanation.judge(m, minutes, objectives)).orElse(List.of());
        return new Review(loaded, minutes, List.copyOf(objectives), incident, events, trigger, explained);
    }

    /** Whether any minute breaches an objective: the gate a cron job or CI step relies on. */
    public boolean breached() {
        return objectives.stream().anyMatch(o -> minutes.stream().anyMatch(m -> !o.met(m)));
    }
}
