package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a drill did and measured: the experiment, each activity (start, end, status, output),
 * the timeline (fault, detection, recovery, readiness and load-balancer changes), the
 * measurements, the steady-state verdicts before and after, the expectations, and the verdict.
 * Written as JSON (its {@code timeline} is what {@code recops review --events} reads) and as a
 * Markdown report.
 */
public record Journal(Experiment experiment, Instant started, Instant ended, List<Activity> activities, List<Event> timeline,
                      Measurements measurements, List<ProbeResult> before, List<ProbeResult> after, List<ExpectationResult> expectations,
                      List<String> deviations, List<Alert> alerts) {

    /** The journal of a drill without the alerting pipeline. */
    public Journal(Experiment experiment, Instant started, Instant ended, List<Activity> activities, List<Event> timeline,
                   Measurements measurements, List<ProbeResult> before, List<ProbeResult> after, List<ExpectationResult> expectations,
                   List<String> deviations) {
        this(experiment, started, ended, activities, timeline, measurements, before, after, expectations, deviations, List.of());
    }

    /** What can happen to an alert as a drill watches it: Prometheus' states, and Alertmanager's deliveries to the drill's webhook. */
    public enum Transition {
        PENDING("pending"), FIRING("firing"), RESOLVED("resolved"), NOTIFIED_FIRING("notified firing"), NOTIFIED_RESOLVED("notified resolved");

        /** As the timeline says it. */
        public final String label;

        Transition(String label) {
            this.label = label;
        }

        /** A delivery by Alertmanager, by the status it sent ({@code firing}, {@code resolved}); empty for any other. */
        static Optional<Transition> notified(String status) {
            return switch (status) {
                case "firing" -> Optional.of(NOTIFIED_FIRING);
                case "resolved" -> Optional.of(NOTIFIED_RESOLVED);
                default -> Optional.empty();
            };
        }
    }

    /**
     * One alert's life in a drill with the alerting pipeline; null where it did not happen. The
     * first pending, firing and notification times stand when an alert resolves and comes back
     * (the time to alert is the first); the resolution times are the last.
     *
     * @param pendingAt when its condition first held (Prometheus' activeAt)
     * @param firingAt when it first fired (its for: elapsed), seen within 250 ms
     * @param notifiedAt when Alertmanager's webhook first delivered it to the drill
     * @param resolvedAt when it last stopped being pending or firing; null while it is
     * @param resolveNotifiedAt when the resolution was delivered
     */
    public record Alert(String name, Instant pendingAt, Instant firingAt, Instant notifiedAt, Instant resolvedAt, Instant resolveNotifiedAt) {
        Alert with(Transition t, Instant at) {
            return switch (t) {
                case PENDING -> new Alert(name, first(pendingAt, at), firingAt, notifiedAt, null, resolveNotifiedAt);
                case FIRING -> new Alert(name, first(pendingAt, at), first(firingAt, at), notifiedAt, null, resolveNotifiedAt);
                case RESOLVED -> new Alert(name, pendingAt, firingAt, notifiedAt, at, resolveNotifiedAt);
                case NOTIFIED_FIRING -> new Alert(name, pendingAt, firingAt, first(notifiedAt, at), resolvedAt, resolveNotifiedAt);
                case NOTIFIED_RESOLVED -> new Alert(name, pendingAt, firingAt, notifiedAt, resolvedAt, at);
            };
        }

        private static Instant first(Instant earlier, Instant now) {
            return earlier == null ? now : earlier;
        }

        /** Seconds from {@code from} to {@code to}; NaN when either is missing. */
        static double seconds(Instant from, Instant to) {
            return from == null || to == null ? Double.NaN : Duration.between(from, to).toMillis() / 1e3;
        }
    }

    public record Activity(String phase, String name, Instant start, Instant end, String status, String output) {}

    public record Event(Instant at, String what) {}

    public record ProbeResult(String probe, double value, boolean held) {}

    public record ExpectationResult(String expect, double measured, boolean met) {}

    /**
     * Who can notice a fault, each from its own source. The system's: the balancer taking a
     * replica out (HAProxy's health checks, a Service's endpoints) and an alert firing; what the
     * system's alerting did before and after that (pending, notified); and the drill's own
     * watchers: its readiness poll of every replica (every 100 ms) and its probes of the load.
     */
    public enum Detector {
        BALANCER("balancer", "time_to_detect_by_balancer", true), ALERT_PENDING("alert pending", "time_to_alert_pending", false),
        ALERT_FIRING("alert firing", "time_to_alert", true), ALERT_NOTIFIED("alert notified", "time_to_notify", false),
        READINESS("readiness poll", "time_to_detect_by_readiness", false), PROBE("probe", "time_to_detect_by_probe", false);

        /** As reports say it. */
        public final String label;
        /** The expectation that measures it (seconds from the fault). */
        public final String measure;
        /** Whether it counts for the headline detection: something the system did, not the drill's own watching. */
        public final boolean bySystem;

        Detector(String label, String measure, boolean bySystem) {
            this.label = label;
            this.measure = measure;
            this.bySystem = bySystem;
        }

        /** Whether it is one of the drill's own watchers (its readiness poll, its probes). */
        public boolean drillsOwn() {
            return this == READINESS || this == PROBE;
        }

        /** The detector an expectation's measure names, if any. */
        static Optional<Detector> measuring(String measure) {
            return Arrays.stream(values()).filter(d -> d.measure.equals(measure)).findFirst();
        }
    }

    /** The first time a detector noticed the fault, and what it saw ("haproxy marked r2 DOWN"). */
    public record Sighting(Detector by, Instant at, String what) {}

    /**
     * @param faultAt the first activity of the method
     * @param sightings the first sighting of the fault by each detector that noticed it, in time order
     * @param recoveredAt from when every probe held again, for at least the hold time
     * @param lostByKind client-visible failures by kind ({@code status_503}, {@code timeout}, {@code connect}, {@code dropped}...)
     * @param errorBudgetBurned lost share over the errors probe's bound; NaN without one
     * @param p99Ms client-side p99 over the whole drill
     */
    public record Measurements(Instant faultAt, List<Sighting> sightings, Instant recoveredAt, long requests, long lost,
                               Map<String, Long> lostByKind, double errorBudgetBurned, double p99Ms) {
        public Measurements {
            sightings = sightings.stream().sorted(Comparator.comparing(Sighting::at)).toList();
        }

        /** The headline: the first thing the system did (the balancer took a replica out, an alert fired); empty when it did nothing. */
        public Optional<Sighting> detection() {
            return sightings.stream().filter(s -> s.by().bySystem).findFirst();
        }

        /** The drill's own first sighting (its readiness poll or a probe) when the system did nothing: it says so. */
        public Optional<Sighting> onlyByTheDrill() {
            return detection().isPresent() ? Optional.empty() : sightings.stream().filter(s -> s.by().drillsOwn()).findFirst();
        }

        public Optional<Sighting> sighting(Detector d) {
            return sightings.stream().filter(s -> s.by() == d).findFirst();
        }

        public Instant detectedAt() {
            return detection().map(Sighting::at).orElse(null);
        }

        public String detectedBy() {
            return detection().map(Sighting::what).orElse("");
        }

        /** When the balancer took a replica out; null when it did not. */
        public Instant isolatedAt() {
            return sighting(Detector.BALANCER).map(Sighting::at).orElse(null);
        }

        /** Seconds from the fault to the system's detection; NaN when the system did not detect it. */
        public double timeToDetectSeconds() {
            return Alert.seconds(faultAt, detectedAt());
        }

        /** Seconds from the fault to a detector's first sighting; NaN when it saw nothing. */
        public double secondsTo(Detector d) {
            return Alert.seconds(faultAt, sighting(d).map(Sighting::at).orElse(null));
        }

        public double timeToIsolateSeconds() {
            return secondsTo(Detector.BALANCER);
        }

        public double rtoSeconds() {
            return Alert.seconds(faultAt, recoveredAt);
        }

        public double lostShare() {
            return requests == 0 ? 0 : (double) lost / requests;
        }

        /** "haproxy marked r2 DOWN at +0.62 s", or what only the drill saw, or "not detected". */
        String detectionStory() {
            if (detection().isPresent()) {
                return detection().get().what() + " at " + after(faultAt, detection().get().at());
            }
            return onlyByTheDrill().map(s -> "not by the system (no balancer took a replica out, no alert fired); only by the drill's own "
                    + s.by().label + ": " + s.what() + " at " + after(faultAt, s.at())).orElse("not detected");
        }
    }

    /** An instant as seconds after another: "+132.4 s"; "-" when missing. */
    static String after(Instant zero, Instant t) {
        return t == null || zero == null ? "-" : String.format(Locale.ROOT, "%+.2f s", Duration.between(zero, t).toMillis() / 1e3);
    }

    public boolean held() {
        return deviations.isEmpty();
    }

    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode e = root.putObject("experiment").put("title", experiment.title()).put("description", experiment.description())
                .put("file", experiment.file().toString());
        experiment.tags().forEach(e.putArray("tags")::add);
        e.put("target", experiment.target().describe());
        root.put("started", started.toString()).put("ended", ended.toString()).put("status", held() ? "held" : "deviated");
        deviations.forEach(root.withArray("deviations")::add);
        ArrayNode acts = root.putArray("activities");
        for (Activity a : activities) {
            acts.addObject().put("phase", a.phase()).put("name", a.name()).put("start", a.start().toString()).put("end", a.end().toString())
                    .put("status", a.status()).put("output", a.output());
        }
        Measurements m = measurements;
        ObjectNode mn = root.putObject("measurements");
        putInstant(mn, "fault_at", m.faultAt());
        putInstant(mn, "detected_at", m.detectedAt());
        mn.put("detected_by", m.detectedBy());
        mn.put("detected_by_system", m.detection().isPresent());
        ArrayNode sightings = mn.putArray("detection");
        for (Sighting sg : m.sightings()) {
            ObjectNode n = sightings.addObject().put("by", sg.by().name().toLowerCase(Locale.ROOT)).put("system", sg.by().bySystem);
            putInstant(n, "at", sg.at());
            putNumber(n, "after_s", m.secondsTo(sg.by()));
            n.put("what", sg.what());
        }
        putInstant(mn, "isolated_at", m.isolatedAt());
        putNumber(mn, "time_to_isolate_s", m.timeToIsolateSeconds());
        putInstant(mn, "recovered_at", m.recoveredAt());
        putNumber(mn, "time_to_detect_s", m.timeToDetectSeconds());
        putNumber(mn, "rto_s", m.rtoSeconds());
        mn.put("requests", m.requests()).put("lost_requests", m.lost());
        ObjectNode kinds = mn.putObject("lost_by_kind");
        m.lostByKind().forEach(kinds::put);
        putNumber(mn, "lost_share", m.lostShare());
        putNumber(mn, "error_budget_burned", m.errorBudgetBurned());
        putNumber(mn, "p99_ms", m.p99Ms());
        probes(root.putArray("steady_state_before"), before);
        probes(root.putArray("steady_state_after"), after);
        ArrayNode ex = root.putArray("expectations");
        for (ExpectationResult r : expectations) {
            ObjectNode n = ex.addObject().put("expect", r.expect());
            putNumber(n, "measured", r.measured());
            n.put("met", r.met());
        }
        if (experiment.alerting().isPresent()) {
            ArrayNode al = root.putArray("alerts");
            for (Alert a : alerts) {
                ObjectNode n = al.addObject().put("alert", a.name());
                putInstant(n, "pending_at", a.pendingAt());
                putInstant(n, "firing_at", a.firingAt());
                putInstant(n, "notified_at", a.notifiedAt());
                putInstant(n, "resolved_at", a.resolvedAt());
                putInstant(n, "resolve_notified_at", a.resolveNotifiedAt());
                putNumber(n, "time_to_alert_s", Alert.seconds(measurements.faultAt(), a.firingAt()));
                putNumber(n, "time_to_notify_s", Alert.seconds(measurements.faultAt(), a.notifiedAt()));
            }
        }
        ArrayNode tl = root.putArray("timeline");
        timeline.forEach(t -> tl.addObject().put("ts", t.at().toString()).put("event", "drill: " + t.what()));
        return root;
    }

    private static void probes(ArrayNode arr, List<ProbeResult> results) {
        for (ProbeResult p : results) {
            ObjectNode n = arr.addObject().put("probe", p.probe());
            putNumber(n, "value", p.value());
            n.put("held", p.held());
        }
    }

    private static void putInstant(ObjectNode n, String field, Instant t) {
        if (t == null) {
            n.putNull(field);
        } else {
            n.put(field, t.toString());
        }
    }

    private static void putNumber(ObjectNode n, String field, double v) {
        if (Double.isFinite(v)) {
            n.put(field, Math.round(v * 10_000) / 10_000.0);
        } else {
            n.putNull(field);
        }
    }

    /** The outcome for a terminal: held or deviated, detection, RTO and losses, each expectation, each deviation. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        Measurements m = measurements;
        lines.add((held() ? "held" : "deviated") + ": " + experiment.title());
        lines.add(String.format(Locale.ROOT, "  time to detect %s, RTO %s, lost requests %d of %d%s", secs(m.timeToDetectSeconds()),
                secs(m.rtoSeconds()), m.lost(), m.requests(), m.lostByKind().isEmpty() ? "" : " " + m.lostByKind()));
        if (m.faultAt() != null) {
            lines.add("  detected " + m.detectionStory());
            if (!m.sightings().isEmpty()) {
                lines.add("  by source: " + String.join(", ", m.sightings().stream().map(sg -> sg.by().label + " " + after(m.faultAt(), sg.at())).toList()));
            }
        }
        for (ExpectationResult x : expectations) {
            lines.add(String.format(Locale.ROOT, "  expect %-24s %s (measured %s)", x.expect(), x.met() ? "met" : "NOT MET",
                    Double.isFinite(x.measured()) ? String.format(Locale.ROOT, "%.3f", x.measured()).replaceAll("\\.?0+$", "") : "nothing"));
        }
        for (Alert a : alerts) {
            lines.add("  alert " + a.name() + ": " + alertStory(a));
        }
        deviations.forEach(d -> lines.add("  deviation: " + d));
        return lines;
    }

    private static String secs(double s) {
        return Double.isFinite(s) ? String.format(Locale.ROOT, "%.2f s", s) : "-";
    }

    /** The report people read: verdict first, then measurements, expectations, timeline and activities. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        Measurements m = measurements;
        md.append("# Drill: ").append(experiment.title()).append("\n\n");
        if (!experiment.description().isBlank()) {
            md.append(experiment.description().strip()).append("\n\n");
        }
        md.append("**").append(held() ? "Held" : "Deviated").append("**: ");
        md.append(held() ? "the steady state held before and after, every activity succeeded and every expectation was met."
                : String.join("; ", deviations) + ".");
        md.append("\n\n");
        md.append("From ").append(started).append(" to ").append(ended).append(", experiment `").append(experiment.file()).append("`, target ")
                .append(experiment.target().describe())
                .append(String.format(Locale.ROOT, ", load %.1f requests/s.%n%n", experiment.load().rate()));
        md.append("## Measurements\n\n| measure | value |\n|---|---|\n");
        row(md, "fault", m.faultAt() == null ? "none" : m.faultAt().toString());
        row(md, "detected (by the system)", m.faultAt() == null ? "-" : m.detectionStory().replace("|", "\\|"));
        row(md, "time to detect", seconds(m.timeToDetectSeconds()));
        row(md, "recovered", m.recoveredAt() == null ? "not recovered" : m.recoveredAt().toString());
        row(md, "RTO", seconds(m.rtoSeconds()));
        row(md, "requests", String.valueOf(m.requests()));
        row(md, "lost requests", m.lost() + (m.lostByKind().isEmpty() ? "" : " " + m.lostByKind()));
        row(md, "lost share", String.format(Locale.ROOT, "%.3f%%", 100 * m.lostShare()));
        row(md, "error budget burned", Double.isFinite(m.errorBudgetBurned()) ? String.format(Locale.ROOT, "%.1f%%", 100 * m.errorBudgetBurned())
                : "no errors probe");
        row(md, "p99 (client, whole drill)", Double.isFinite(m.p99Ms()) ? String.format(Locale.ROOT, "%.1f ms", m.p99Ms()) : "-");
        if (m.faultAt() != null) {
            md.append("\n## Detection by source\n\nEach from its own source, from the fault. The headline is the first thing the system did (the ")
                    .append("balancer took a replica out, an alert fired); the readiness poll and the probes are the drill's own watching.\n\n")
                    .append("| source | counts as the system's | after the fault | what |\n|---|---|---|---|\n");
            for (Detector d : Detector.values()) {
                Optional<Sighting> sg = m.sighting(d);
                md.append("| ").append(d.label).append(" | ").append(d.bySystem ? "yes" : "no").append(" | ")
                        .append(sg.map(x -> after(m.faultAt(), x.at())).orElse(notSeen(d))).append(" | ")
                        .append(sg.map(x -> x.what().replace("|", "\\|")).orElse("-")).append(" |\n");
            }
        }
        md.append("\n## Steady state\n\n| probe | before | after |\n|---|---|---|\n");
        for (int i = 0; i < experiment.steadyState().probes().size(); i++) {
            md.append("| `").append(experiment.steadyState().probes().get(i).text()).append("` | ")
                    .append(i < before.size() ? verdict(before.get(i)) : "-").append(" | ")
                    .append(i < after.size() ? verdict(after.get(i)) : "-").append(" |\n");
        }
        if (!expectations.isEmpty()) {
            md.append("\n## Expectations\n\n| expectation | measured | met |\n|---|---|---|\n");
            for (ExpectationResult r : expectations) {
                md.append("| `").append(r.expect()).append("` | ").append(Double.isFinite(r.measured()) ? num(r.measured()) : "not measured")
                        .append(" | ").append(r.met() ? "yes" : "**no**").append(" |\n");
            }
        }
        if (experiment.alerting().isPresent()) {
            md.append("\n## Alerts\n\nPrometheus with the shipped rules (scrape and evaluation every ").append(AlertPipeline.INTERVAL.toSeconds())
                    .append(" s, the rules' windows and `for:` unchanged), Alertmanager to the drill's webhook; times from the fault.\n\n");
            if (alerts.isEmpty()) {
                md.append("No alert went pending or fired.\n");
            } else {
                md.append("| alert | pending | firing (time to alert) | notified | resolved |\n|---|---|---|---|---|\n");
                for (Alert a : alerts) {
                    md.append("| ").append(a.name()).append(" | ").append(fromFault(a.pendingAt())).append(" | ").append(fromFault(a.firingAt()))
                            .append(" | ").append(fromFault(a.notifiedAt())).append(" | ").append(fromFault(a.resolvedAt())).append(" |\n");
                }
            }
        }
        md.append("\n## Timeline (UTC)\n\n| time | event |\n|---|---|\n");
        timeline.forEach(t -> md.append("| ").append(t.at()).append(" | ").append(t.what().replace("|", "\\|")).append(" |\n"));
        md.append("\n## Activities\n\n| phase | activity | start | took | status | output |\n|---|---|---|---|---|---|\n");
        for (Activity a : activities) {
            md.append("| ").append(a.phase()).append(" | ").append(a.name()).append(" | ").append(a.start()).append(" | ")
                    .append(seconds(Duration.between(a.start(), a.end()).toMillis() / 1e3)).append(" | ").append(a.status()).append(" | ")
                    .append(a.output().replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        return md.toString();
    }

    private String alertStory(Alert a) {
        if (a.firingAt() == null) {
            return "pending at " + fromFault(a.pendingAt()) + (a.resolvedAt() == null ? "" : ", no longer at " + fromFault(a.resolvedAt()))
                    + ", never fired";
        }
        return "fired at " + fromFault(a.firingAt()) + " (pending " + fromFault(a.pendingAt()) + ")"
                + (a.notifiedAt() == null ? ", not notified" : ", notified " + fromFault(a.notifiedAt()))
                + (a.resolvedAt() == null ? ", not resolved" : ", resolved " + fromFault(a.resolvedAt()));
    }

    /** An instant as seconds after the fault (or the start, without one): "+132.4 s". */
    private String fromFault(Instant t) {
        if (t == null) {
            return "-";
        }
        Instant zero = measurements.faultAt() != null ? measurements.faultAt() : started;
        return String.format(Locale.ROOT, "%+.1f s", Duration.between(zero, t).toMillis() / 1e3);
    }

    /** Why a detector has no sighting: it saw nothing, or nothing was watching. */
    private String notSeen(Detector d) {
        boolean watched = switch (d) {
            case BALANCER -> experiment.target().balanced();
            case ALERT_PENDING, ALERT_FIRING, ALERT_NOTIFIED -> experiment.alerting().isPresent();
            case READINESS, PROBE -> true;
        };
        return watched ? "not seen" : "not watched";
    }

    private static String verdict(ProbeResult p) {
        return (p.held() ? "held" : "**failed**") + " (" + (Double.isFinite(p.value()) ? num(p.value()) : "no data") + ")";
    }

    private static void row(StringBuilder md, String k, String v) {
        md.append("| ").append(k).append(" | ").append(v).append(" |\n");
    }

    private static String seconds(double s) {
        return Double.isFinite(s) ? String.format(Locale.ROOT, "%.2f s", s) : "-";
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
    }
}
