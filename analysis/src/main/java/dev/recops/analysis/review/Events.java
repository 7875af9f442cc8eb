package dev.recops.analysis.review;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.analysis.AnalysisException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Things that happened, to place beside the requests: JSON Lines with a {@code ts}, described by
 * their {@code event} or {@code message} field, or, for serve's admin audit log, by
 * {@code action}, {@code outcome} and {@code detail} (a deploy, a promotion, a fault injected).
 */
public final class Events {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Event(Instant at, String what, String source) {}

    private Events() {}

    /** Sorted by time. */
    public static List<Event> read(List<Path> files) {
        List<Event> out = new ArrayList<>();
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (NoSuchFileException e) {
                throw AnalysisException.missing("events file " + f + " not found");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
            }
            Optional<List<Event>> journal = drillJournal(f, String.join("\n", lines));
            if (journal.isPresent()) {
                out.addAll(journal.get());
                continue;
            }
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                String where = f.getFileName() + ":" + (i + 1);
                try {
                    JsonNode n = JSON.readTree(lines.get(i));
                    Instant at = Instant.parse(n.path("ts").asText());
                    out.add(new Event(at, describe(n), where));
                } catch (IOException | DateTimeParseException e) {
                    throw AnalysisException.invalid(where + ": not an event (a JSON object with an RFC 3339 ts)");
                }
            }
        }
        out.sort(Comparator.comparing(Event::at));
        return out;
    }

    /** A drill journal ({@code recops drill --journal}): one JSON document whose timeline holds ts and event. */
    private static Optional<List<Event>> drillJournal(Path f, String text) {
        if (!text.stripLeading().startsWith("{") || text.lines().filter(l -> !l.isBlank()).count() < 2) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (root == null || !root.path("timeline").isArray()) {
            return Optional.empty();
        }
        List<Event> events = new ArrayList<>();
        JsonNode timeline = root.get("timeline");
        for (int i = 0; i < timeline.size(); i++) {
            JsonNode n = timeline.get(i);
            try {
                events.add(new Event(Instant.parse(n.path("ts").asText()), describe(n), f.getFileName() + " timeline[" + i + "]"));
            } catch (DateTimeParseException e) {
                throw AnalysisException.invalid(f.getFileName() + " timeline[" + i + "]: no RFC 3339 ts");
            }
        }
        return Optional.of(events);
    }

    private static String describe(JsonNode n) {
        for (String field : List.of("event", "message")) {
            if (n.hasNonNull(field)) {
                return n.get(field).asText();
            }
        }
        if (n.hasNonNull("action")) { // serve's admin audit log
            String detail = n.path("detail").asText("");
            return "admin " + n.get("action").asText() + " " + n.path("outcome").asText("") + (detail.isEmpty() ? "" : ": " + detail);
        }
        return n.toString();
    }

    /** The last event at or before {@code t}. */
    public static Optional<Event> lastBefore(List<Event> events, Instant t) {
        Event found = null;
        for (Event e : events) {
            if (!e.at().isAfter(t)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }
}
