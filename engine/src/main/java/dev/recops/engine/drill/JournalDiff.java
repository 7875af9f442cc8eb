package dev.recops.engine.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.recops.engine.RecopsException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What changed between two runs of an experiment, from their journals ({@code drill --journal}):
 * the verdict, the recovery measurements, lost requests by kind, each expectation and each
 * alert's times. A pure function of the two JSON documents.
 */
public final class JournalDiff {
    /**
     * One compared measure.
     *
     * @param a its value in the first journal, "-" when absent
     * @param b in the second
     * @param change b - a for numbers (with its unit), "changed" for words, "" when equal
     * @param worse whether the change is for the worse (more lost, slower, an expectation no longer met, an alert that now fires)
     */
    public record Row(String measure, String a, String b, String change, boolean worse) {}

    private JournalDiff() {}

    /** Refuses a document that is not a drill journal, naming which. */
    static void requireJournal(JsonNode j, String name) {
        if (j == null || !j.isObject() || !j.path("measurements").isObject() || !j.path("experiment").isObject()) {
            throw new RecopsException.InvalidInput("not_a_journal", name + " is not a drill journal (recops drill --journal FILE writes one)");
        }
    }

    public static List<Row> compare(JsonNode a, String aName, JsonNode b, String bName) {
        requireJournal(a, aName);
        requireJournal(b, bName);
        List<Row> rows = new ArrayList<>();
        rows.add(word("experiment", a.path("experiment").path("title").asText(), b.path("experiment").path("title").asText(), false));
        rows.add(word("status", a.path("status").asText(), b.path("status").asText(),
                a.path("status").asText().equals("held") && !b.path("status").asText().equals("held")));
        for (String when : List.of("before", "after")) {
            String sa = steady(a.path("steady_state_" + when));
            String sb = steady(b.path("steady_state_" + when));
            rows.add(word("steady state " + when, sa, sb, sa.equals("held") && !sb.equals("held")));
        }
        JsonNode ma = a.path("measurements");
        JsonNode mb = b.path("measurements");
        rows.add(number("time to detect (system)", ma.path("time_to_detect_s"), mb.path("time_to_detect_s"), "s", true));
        for (Journal.Detector d : Journal.Detector.values()) {
            JsonNode sa = sighting(ma, d);
            JsonNode sb = sighting(mb, d);
            if (sa != null || sb != null) {
                rows.add(number("  by " + d.label, path(sa, "after_s"), path(sb, "after_s"), "s", true));
            }
        }
        rows.add(number("RTO", ma.path("rto_s"), mb.path("rto_s"), "s", true));
        rows.add(number("requests", ma.path("requests"), mb.path("requests"), "", false));
        rows.add(number("lost requests", ma.path("lost_requests"), mb.path("lost_requests"), "", true));
        Set<String> kinds = new LinkedHashSet<>();
        ma.path("lost_by_kind").fieldNames().forEachRemaining(kinds::add);
        mb.path("lost_by_kind").fieldNames().forEachRemaining(kinds::add);
        for (String k : kinds) {
            rows.add(number("  lost: " + k, orZero(ma.path("lost_by_kind").path(k)), orZero(mb.path("lost_by_kind").path(k)), "", true));
        }
        rows.add(number("error budget burned", percent(ma.path("error_budget_burned")), percent(mb.path("error_budget_burned")), "%", true));
        rows.add(number("p99 (client)", ma.path("p99_ms"), mb.path("p99_ms"), "ms", true));
        Set<String> expects = new LinkedHashSet<>();
        a.path("expectations").forEach(x -> expects.add(x.path("expect").asText()));
        b.path("expectations").forEach(x -> expects.add(x.path("expect").asText()));
        for (String x : expects) {
            JsonNode xa = find(a.path("expectations"), "expect", x);
            JsonNode xb = find(b.path("expectations"), "expect", x);
            rows.add(word("expect " + x, met(xa), met(xb), xa != null && xa.path("met").asBoolean() && (xb == null || !xb.path("met").asBoolean())));
        }
        Set<String> alerts = new LinkedHashSet<>();
        a.path("alerts").forEach(x -> alerts.add(x.path("alert").asText()));
        b.path("alerts").forEach(x -> alerts.add(x.path("alert").asText()));
        for (String name : alerts) {
            JsonNode xa = find(a.path("alerts"), "alert", name);
            JsonNode xb = find(b.path("alerts"), "alert", name);
            boolean firedA = xa != null && xa.path("firing_at").isTextual();
            boolean firedB = xb != null && xb.path("firing_at").isTextual();
            rows.add(word("alert " + name, firedA ? "fired" : xa == null ? "-" : "pending only", firedB ? "fired" : xb == null ? "-" : "pending only",
                    false));
            if (firedA || firedB) {
                rows.add(number("  time to alert", path(xa, "time_to_alert_s"), path(xb, "time_to_alert_s"), "s", true));
                rows.add(number("  time to notify", path(xa, "time_to_notify_s"), path(xb, "time_to_notify_s"), "s", true));
            }
        }
        return rows;
    }

    /** The comparison as a table for a terminal: measure, A, B, change (a "!" marks a change for the worse). */
    public static List<String> table(List<Row> rows, String aName, String bName) {
        int w = Math.max(20, rows.stream().mapToInt(r -> r.measure().length()).max().orElse(0));
        int wa = Math.max(aName.length(), rows.stream().mapToInt(r -> r.a().length()).max().orElse(0));
        int wb = Math.max(bName.length(), rows.stream().mapToInt(r -> r.b().length()).max().orElse(0));
        String fmt = "%-" + w + "s  %-" + wa + "s  %-" + wb + "s  %s";
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, fmt, "", aName, bName, "change").stripTrailing());
        for (Row r : rows) {
            lines.add(String.format(Locale.ROOT, fmt, r.measure(), r.a(), r.b(), r.change() + (r.worse() ? " !" : "")).stripTrailing());
        }
        return lines;
    }

    private static JsonNode find(JsonNode list, String field, String value) {
        for (JsonNode n : list) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        return null;
    }

    /** A detector's sighting in a journal's measurements; null when it saw nothing (or the journal predates detection by source). */
    private static JsonNode sighting(JsonNode measurements, Journal.Detector d) {
        return find(measurements.path("detection"), "by", d.name().toLowerCase(Locale.ROOT));
    }

    private static JsonNode path(JsonNode n, String field) {
        return n == null ? MissingNode.getInstance() : n.path(field);
    }

    private static JsonNode orZero(JsonNode n) {
        return n.isNumber() ? n : IntNode.valueOf(0);
    }

    private static JsonNode percent(JsonNode fraction) {
        return fraction.isNumber() ? DoubleNode.valueOf(100 * fraction.asDouble()) : fraction;
    }

    /** "held", "failed (errors<=0.5%: 37.5)" naming each probe that failed, or "-" when it was not checked. */
    private static String steady(JsonNode probes) {
        if (probes.isEmpty()) {
            return "-";
        }
        List<String> failed = new ArrayList<>();
        probes.forEach(p -> {
            if (!p.path("held").asBoolean()) {
                failed.add(p.path("probe").asText() + ": " + (p.path("value").isNumber() ? num(p.path("value").asDouble()) : "nothing"));
            }
        });
        return failed.isEmpty() ? "held" : "failed (" + String.join(", ", failed) + ")";
    }

    private static String met(JsonNode x) {
        if (x == null) {
            return "-";
        }
        String measured = x.path("measured").isNumber() ? num(x.path("measured").asDouble()) : "nothing";
        return (x.path("met").asBoolean() ? "met" : "NOT MET") + " (" + measured + ")";
    }

    /** Four significant digits without trailing zeros: 0.3, 1.5, 122, 0.0125. */
    private static String num(double v) {
        String s = Journal.num(v);
        return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static Row word(String measure, String a, String b, boolean worse) {
        return new Row(measure, a, b, a.equals(b) ? "" : "changed", worse);
    }

    /** Numbers compared; lower is better where {@code lowerIsBetter}, so a rise is for the worse. */
    private static Row number(String measure, JsonNode a, JsonNode b, String unit, boolean lowerIsBetter) {
        String sa = a.isNumber() ? num(a.asDouble()) + (unit.isEmpty() ? "" : " " + unit) : "-";
        String sb = b.isNumber() ? num(b.asDouble()) + (unit.isEmpty() ? "" : " " + unit) : "-";
        if (!a.isNumber() || !b.isNumber()) {
            boolean lost = a.isNumber() && !b.isNumber() && lowerIsBetter && !unit.isEmpty(); // e.g. recovered before, not now
            return new Row(measure, sa, sb, sa.equals(sb) ? "" : "changed", lost);
        }
        double d = b.asDouble() - a.asDouble();
        if (d == 0) {
            return new Row(measure, sa, sb, "", false);
        }
        return new Row(measure, sa, sb, (d > 0 ? "+" : "") + num(d) + (unit.isEmpty() ? "" : " " + unit), lowerIsBetter && d > 0);
    }
}
